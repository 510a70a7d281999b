"""The training engine: it learns, it is reproducible, it keeps the best epoch."""

from __future__ import annotations

import pytest
import torch

from study.data.augment import elastic_field, random_distortion
from study.data.splits import DeviceData
from study.errors import ConfigError
from study.models.registry import create_model
from study.training import engine
from study.training.engine import TrainSettings, train


def quiet(_: str) -> None:
    pass


def random_data(n: int, seed: int = 0) -> DeviceData:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return DeviceData(x, y, x, y)


@pytest.mark.parametrize("name", ["mlp", "convnet_bn"])
def test_overfits_one_small_batch(name: str) -> None:
    torch.manual_seed(0)
    data = random_data(64)  # random labels: only memorising can fit them
    settings = TrainSettings(max_epochs=60, batch_size=64, lr=3e-3, schedule="constant",
                             weight_decay=0.0, patience=60, bf16=False)
    result = train(create_model(name), data, settings, seed=0, log=quiet)
    assert result.history[-1]["train_loss"] < 0.05
    assert max(h["val_accuracy"] for h in result.history) == 1.0


def _weights_after_training(seed: int, augment: bool) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    model = create_model("lenet5")
    settings = TrainSettings(max_epochs=2, batch_size=32, augment=augment, bf16=False)
    train(model, random_data(256), settings, seed=seed, log=quiet)
    return model.state_dict()


@pytest.mark.parametrize("augment", [False, True])
def test_same_seed_same_weights_on_cpu(augment: bool) -> None:
    a, b = _weights_after_training(7, augment), _weights_after_training(7, augment)
    c = _weights_after_training(8, augment)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_best_epoch_weights_are_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation peaks at epoch 2 of 4: the model must come back with epoch 2's weights,
    not the last epoch's (as it would if the best state were not copied, or not loaded)."""
    scripted = iter([(1.0, 0.50), (0.5, 0.90), (0.8, 0.70), (0.9, 0.60)])  # (loss, accuracy)
    snapshots: list[dict[str, torch.Tensor]] = []

    def scripted_evaluate(model, x, y, batch_size, bf16):  # called once after every epoch
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return next(scripted)

    monkeypatch.setattr(engine, "evaluate", scripted_evaluate)
    torch.manual_seed(0)
    model = create_model("mlp")
    settings = TrainSettings(max_epochs=4, batch_size=64, bf16=False, patience=4)
    result = train(model, random_data(128), settings, seed=0, log=quiet)
    assert result.best_epoch == 2 and len(result.history) == 4
    assert [h["val_accuracy"] for h in result.history] == [0.50, 0.90, 0.70, 0.60]
    final = model.state_dict()
    assert all(torch.equal(final[k], snapshots[1][k]) for k in final)
    assert not all(torch.equal(final[k], snapshots[3][k]) for k in final)  # it moved on
    assert all(torch.equal(result.best_state[k], snapshots[1][k]) for k in final)
    assert set(result.history[0]) >= {"epoch", "train_loss", "train_accuracy", "val_loss",
                                      "val_accuracy", "lr", "seconds"}


def test_ties_on_accuracy_go_to_the_lower_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted = iter([(0.30, 0.90), (0.20, 0.90), (0.25, 0.90)])
    monkeypatch.setattr(engine, "evaluate", lambda *args: next(scripted))
    settings = TrainSettings(max_epochs=3, batch_size=64, bf16=False, patience=3)
    result = train(create_model("mlp"), random_data(128), settings, seed=0, log=quiet)
    assert result.best_epoch == 2


def test_validation_every_few_epochs(monkeypatch: pytest.MonkeyPatch) -> None:
    """With val_every = 3 over 7 epochs, validation runs after epochs 3, 6 and 7 (the last);
    the best epoch is one of those, patience counts epochs since it."""
    scripted = iter([(0.5, 0.80), (0.4, 0.85), (0.6, 0.84)])
    calls: list[int] = []

    def scripted_evaluate(*args):
        calls.append(1)
        return next(scripted)

    monkeypatch.setattr(engine, "evaluate", scripted_evaluate)
    settings = TrainSettings(max_epochs=7, batch_size=64, bf16=False, patience=7, val_every=3)
    result = train(create_model("mlp"), random_data(128), settings, seed=0, log=quiet)
    assert len(calls) == 3 and len(result.history) == 7 and result.best_epoch == 6
    validated = [h["epoch"] for h in result.history if h["val_accuracy"] == h["val_accuracy"]]
    assert validated == [3, 6, 7]
    assert all(h["train_loss"] > 0 for h in result.history)  # every epoch trained
    stopping = iter([(0.5, 0.80), (0.6, 0.70), (0.6, 0.70), (0.6, 0.70)])
    monkeypatch.setattr(engine, "evaluate", lambda *args: next(stopping))
    settings = TrainSettings(max_epochs=12, batch_size=64, bf16=False, patience=4, val_every=2)
    result = train(create_model("mlp"), random_data(128), settings, seed=0, log=quiet)
    assert result.stopped_early and len(result.history) == 6  # 4 epochs after epoch 2


def test_early_stopping_stops() -> None:
    torch.manual_seed(0)
    data = random_data(64)
    held_out = random_data(64, seed=1)  # unrelated labels: validation cannot improve for long
    data = DeviceData(data.train_x, data.train_y, held_out.val_x, held_out.val_y)
    settings = TrainSettings(max_epochs=50, batch_size=64, patience=2, bf16=False)
    result = train(create_model("mlp"), data, settings, seed=0, log=quiet)
    assert result.stopped_early and len(result.history) < 50
    assert len(result.history) - result.best_epoch == 2


def test_augmentation_is_per_image_and_keeps_the_background() -> None:
    x = torch.full((2, 1, 28, 28), -0.4)
    x[:, :, 10:18, 10:18] = 2.0
    g = torch.Generator().manual_seed(0)
    y = random_distortion(x, g, rotation=15, translate=0.1, scale=0.1, background=-0.4)
    assert y.shape == x.shape
    assert not torch.allclose(y[0], y[1])  # the two identical images moved differently
    assert torch.allclose(y[:, :, 0, :], torch.tensor(-0.4))  # the border stays empty
    identity = random_distortion(x, g, rotation=0, translate=0, scale=0, background=-0.4)
    assert torch.allclose(identity, x, atol=1e-5)


def test_settings_refuse_unknown_keys_and_wrong_types() -> None:
    assert TrainSettings.from_dict({"lr": 1, "max_epochs": 3}).lr == 1.0
    with pytest.raises(ValueError, match=r"^training: unknown key 'learning_rate' \(known: "):
        TrainSettings.from_dict({"learning_rate": 0.1})
    with pytest.raises(ConfigError, match=r"^training\.max_epochs: 'ten' is not of type 'int"):
        TrainSettings.from_dict({"max_epochs": "ten"})
    with pytest.raises(ConfigError, match=r"^training\.batch_size: 0 is less than the minimum"):
        TrainSettings(batch_size=0)  # made directly, as the benchmarks do: checked too
    with pytest.raises(ConfigError, match=r"^training\.lr: 'searched' is not a value to train"):
        TrainSettings.from_dict({"lr": "searched"})


def test_elastic_distortion_is_smooth_bounded_and_per_image() -> None:
    g = torch.Generator().manual_seed(0)
    field = elastic_field(4, 28, 28, g, alpha=8.0, sigma=4.0, device=torch.device("cpu"))
    pixels = field * 14  # grid units -> pixels (the image spans 2 units, 28 pixels)
    assert field.shape == (4, 28, 28, 2)
    assert pixels.abs().max() < 8.0  # at most alpha pixels
    assert not torch.allclose(pixels[0], pixels[1])  # a new field for every image
    # Smoothed: neighbouring pixels move almost together, unlike the raw noise.
    step = (pixels[:, 1:] - pixels[:, :-1]).abs().mean()
    assert step < 0.2 * pixels.abs().mean()

    x = torch.full((2, 1, 28, 28), -0.4)
    x[:, :, 8:20, 12:16] = 2.0  # a vertical stroke
    g = torch.Generator().manual_seed(1)
    moved = random_distortion(x, g, rotation=0, translate=0, scale=0, background=-0.4,
                              elastic_alpha=8.0)
    assert not torch.allclose(moved[0], moved[1]) and not torch.allclose(moved, x)
    assert torch.allclose(moved[:, :, 0, :], torch.tensor(-0.4))  # the border stays empty
