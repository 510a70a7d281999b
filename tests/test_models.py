"""Every registered architecture: shapes, gradients, a sane start, a clear unknown-name error."""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F

from study.models.registry import count_parameters, create_model, describe, list_models


@pytest.fixture(params=list_models())
def name(request: pytest.FixtureRequest) -> str:
    return request.param


def test_output_shape_and_finite(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name)
    logits = model(torch.randn(8, 1, 28, 28))
    assert logits.shape == (8, 10)
    assert torch.isfinite(logits).all()


def test_every_parameter_gets_a_gradient(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, dropout=0.2)
    F.cross_entropy(model(torch.randn(16, 1, 28, 28)), torch.arange(16) % 10).backward()
    for pname, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, pname


def test_initial_loss_is_about_ln10(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name).eval()
    with torch.no_grad():
        loss = F.cross_entropy(model(torch.randn(512, 1, 28, 28)), torch.arange(512) % 10)
    assert abs(loss.item() - math.log(10)) < 0.25


def test_features_feed_the_classifier(name: str) -> None:
    model = create_model(name).eval()
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(model.classifier(model.features(x)), model(x))
    assert count_parameters(model) > 0 and describe(name)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown architecture 'resnet999'.*lenet5"):
        create_model("resnet999")


def test_schema_offers_exactly_the_registry() -> None:
    from study.schema import schema

    assert sorted(schema()["$defs"]["architecture"]["enum"]) == list_models()


def test_multiply_adds_are_counted_by_pytorch() -> None:
    """LeNet-5 by hand: conv1 6x28x28x25 + conv2 16x10x10x150 + 400x120 + 120x84 + 84x10."""
    from study.models.registry import multiply_adds

    assert multiply_adds(create_model("lenet5")) == 117_600 + 240_000 + 48_000 + 10_080 + 840
    assert multiply_adds(create_model("mlp")) == 784 * 512 + 512 * 256 + 256 * 10


@pytest.mark.parametrize("name", ["convnet_bn", "resnet_small", "deotte_cnn"])
def test_width_scales_the_channels(name: str) -> None:
    """Halving the width of a convolutional network divides its convolutions' cost by about
    four (channels in and out both halve) and keeps its input and output shapes."""
    from study.models.registry import multiply_adds

    narrow, published = create_model(name, width=16), create_model(name)
    assert published.classifier.in_features == 2 * narrow.classifier.in_features
    ratio = multiply_adds(published) / multiply_adds(narrow)
    assert 3.0 < ratio < 4.1, ratio
    assert narrow.eval()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    from study.models.registry import width

    assert width(name, {}) == 32 and width(name, {"width": 16}) == 16
    assert width("mlp", {}) is None


def test_every_architecture_cites_its_source(name: str) -> None:
    from study.models.registry import _REGISTRY

    doc = _REGISTRY[name].__doc__ or ""
    assert re.search(r"\b(19|20)\d\d\b", doc), f"{name}: no dated source in its docstring"
