"""The architectures of the study, behind a small registry.

Every model maps standardised (N, 1, 28, 28) images to (N, 10) logits and splits into
`features` (the embedding drawn by the t-SNE figure) and a linear `classifier`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from study.errors import ConfigError

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}
_DESCRIPTIONS: dict[str, str] = {}


def register(description: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Add a factory to the registry under its function name."""

    def add(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        _REGISTRY[factory.__name__] = factory
        _DESCRIPTIONS[factory.__name__] = description
        return factory

    return add


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def describe(name: str) -> str:
    return _DESCRIPTIONS[_check(name)]


def create_model(name: str, **kwargs: object) -> nn.Module:
    return _REGISTRY[_check(name)](**kwargs)


def _check(name: str) -> str:
    if name not in _REGISTRY:
        raise ConfigError(f"unknown architecture {name!r}; known: {', '.join(list_models())}")
    return name


def width(name: str, options: dict[str, object]) -> int | None:
    """The width `create_model(name, **options)` builds, or None for a fixed-size design."""
    import inspect

    parameter = inspect.signature(_REGISTRY[_check(name)]).parameters.get("width")
    if parameter is None:
        return None
    return int(options.get("width", parameter.default))  # type: ignore[call-overload]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class Classifier(nn.Module):
    def __init__(self, features: nn.Module, width: int, dropout: float) -> None:
        super().__init__()
        self.features = features
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.features(x)))


def _conv_bn(c_in: int, c_out: int, kernel: int = 3) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


def _conv_pool_bn(c_in: int, c_out: int) -> list[nn.Module]:
    # Pooling before normalisation and ReLU (they commute with the max up to BN's scale)
    # gives those memory-bound layers 4x fewer pixels: about 20% faster training on CPU.
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.MaxPool2d(2),
            nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


@register("Multilayer perceptron 784-512-256-10 with ReLU: the non-convolutional baseline")
def mlp(dropout: float = 0.0) -> nn.Module:
    """The fully connected baselines of LeCun et al., "Gradient-based learning applied to
    document recognition" (Proc. IEEE, 1998), which compare 784-300-100-10 and 784-500-150-10
    networks with the convolutional ones; here two hidden layers of 512 and 256 with ReLU
    as in Simard et al., "Best practices for convolutional neural networks applied to visual
    document analysis" (ICDAR 2003): what a network that ignores the image's layout reaches."""
    features = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 512), nn.ReLU(inplace=True), nn.Dropout(dropout),
        nn.Linear(512, 256), nn.ReLU(inplace=True),
    )
    return Classifier(features, 256, dropout)


@register("LeNet-5 (LeCun et al., 1998): two 5x5 convolutions with tanh and average pooling, "
          "fully connected 120-84")
def lenet5(dropout: float = 0.0) -> nn.Module:
    """LeNet-5 of LeCun et al., "Gradient-based learning applied to document recognition"
    (Proc. IEEE, 1998), section II.B: C1 6@5x5 (the 28x28 input padded to the paper's 32x32),
    S2 pooling, C3 16@5x5 (fully connected to S2, not the paper's partial table), S4, F5 120,
    F6 84, tanh; average pooling stands for the paper's trainable subsampling and a linear
    layer with softmax for its RBF output."""
    features = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Dropout(dropout),
        nn.Linear(120, 84), nn.Tanh(),
    )
    return Classifier(features, 84, dropout)


@register("Modern CNN: 3x3 convolutions with batch normalisation and ReLU in three stages "
          "(w, 2w, 4w channels), max pooling, global average pooling")
def convnet_bn(dropout: float = 0.0, width: int = 32) -> nn.Module:
    """A VGG-style network (Simonyan & Zisserman, "Very Deep Convolutional Networks for
    Large-Scale Image Recognition", ICLR 2015: stacked 3x3 convolutions) with batch
    normalisation (Ioffe & Szegedy, ICML 2015) and global average pooling instead of large
    fully connected layers (Lin et al., "Network In Network", ICLR 2014)."""
    w = width
    features = nn.Sequential(
        *_conv_bn(1, w), *_conv_pool_bn(w, w),
        *_conv_bn(w, 2 * w), *_conv_pool_bn(2 * w, 2 * w),
        *_conv_bn(2 * w, 4 * w), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )
    return Classifier(features, 4 * w, dropout)


@register("Speedrun CNN: 5x5 stride-2 convolution (16 channels), 3x3 convolutions (32, then 64 "
          "after max pooling) with batch normalisation: 99% in one epoch at low cost")
def speednet(dropout: float = 0.0) -> nn.Module:
    """The benchmark's small network, in the spirit of the CIFAR-10 speedruns of K. Jordan,
    "94% on CIFAR-10 in 3.29 seconds on a single GPU" (airbench, arXiv:2404.00498, 2024): a
    strided first convolution, few wide-enough layers, batch norm, data kept on the device."""
    # Channel counts are multiples of 16: oneDNN's blocked kernels are much slower otherwise.
    features = nn.Sequential(
        nn.Conv2d(1, 16, 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(16),
        nn.ReLU(inplace=True), *_conv_pool_bn(16, 32), *_conv_bn(32, 64), nn.Flatten(),
    )
    return Classifier(features, 64 * 7 * 7, dropout)


class _BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity (or 1x1 projection) shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


@register("Small residual network (He et al., 2016): a strided 5x5 stem to 14x14, three "
          "stages of one basic block each (w, 2w, 4w channels, stride 2 between stages), "
          "global average pooling")
def resnet_small(dropout: float = 0.0, width: int = 32) -> nn.Module:
    """ResNet for 28x28 digits, after He et al., "Deep Residual Learning for Image
    Recognition" (CVPR 2016): basic blocks, identity shortcuts, a 1x1 projection where the
    shape changes, global average pooling, one linear layer. As in their ImageNet networks
    the stem is strided, so the blocks work on 14x14, 7x7 and 4x4 maps: with a stem at full
    resolution (their CIFAR design) the default study's 12 runs of it trained 2.2x longer
    (1,245 s against 567 s on a 2-core Xeon with AMX)."""
    w = width
    features = nn.Sequential(
        nn.Conv2d(1, w, 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(w),
        nn.ReLU(inplace=True), _BasicBlock(w, w, 1), _BasicBlock(w, 2 * w, 2),
        _BasicBlock(2 * w, 4 * w, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )
    return Classifier(features, 4 * w, dropout)


def _conv_relu_bn(c_in: int, c_out: int, kernel: int, stride: int = 1,
                  padding: int = 0) -> list[nn.Module]:
    # The published order (Keras Conv2D with activation='relu', then BatchNormalization).
    return [nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding),
            nn.ReLU(inplace=True), nn.BatchNorm2d(c_out)]


@register("Strong MNIST CNN (Deotte, 2018): stacked 3x3 convolutions with batch norm, strided "
          "5x5 convolutions instead of pooling (w, 2w channels), a 4x4 convolution to 4w, "
          "dropout after each stage")
def deotte_cnn(dropout: float = 0.0, width: int = 32) -> nn.Module:
    """The CNN of the best-known validation-only MNIST study: C. Deotte, "How to choose CNN
    Architecture MNIST" and "25 Million Images! [0.99757] MNIST" (Kaggle, 2018), 99.64% mean
    for one network, 99.75% for an ensemble of 15. Layout as published (valid 3x3
    convolutions, 'same' strided 5x5 ones: 28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4 -> 1), each
    convolution followed by ReLU then batch norm; the published dropout of 0.4 after each
    stage is this study's `dropout` variant, so the `none` variant trains it without.
    `width` is the first stage's channels (published: 32), doubled at each stage."""
    w = width
    features = nn.Sequential(
        *_conv_relu_bn(1, w, 3), *_conv_relu_bn(w, w, 3),
        *_conv_relu_bn(w, w, 5, stride=2, padding=2), nn.Dropout(dropout),
        *_conv_relu_bn(w, 2 * w, 3), *_conv_relu_bn(2 * w, 2 * w, 3),
        *_conv_relu_bn(2 * w, 2 * w, 5, stride=2, padding=2), nn.Dropout(dropout),
        *_conv_relu_bn(2 * w, 4 * w, 4), nn.Flatten(),
    )
    return Classifier(features, 4 * w, dropout)


def multiply_adds(model: nn.Module) -> int:
    """Multiply-accumulates of one forward pass of `model` on one image, counted by
    PyTorch's FlopCounterMode (a multiply-add is two floating-point operations)."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.eval()(torch.zeros(1, 1, 28, 28, device=next(model.parameters()).device))
    model.train(was_training)
    return counter.get_total_flops() // 2
