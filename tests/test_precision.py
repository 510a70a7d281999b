"""The precision rule: bfloat16 only where the hardware computes it, the same choice every
time on one machine, each kind of machine faked through what PyTorch reports."""

from __future__ import annotations

import pytest
import torch

from study.data.splits import DeviceData
from study.errors import ConfigError
from study.models.registry import create_model
from study.training import precision
from study.training.engine import TrainSettings, train
from study.training.precision import AUTO, CpuCapabilities, choose_precision, decide, run_precision

# The three CPUs the study runs on, as PyTorch (cpuinfo) reports them.
XEON_AMX = CpuCapabilities("AVX512", avx2=True, avx512=True, avx512_bf16=True, amx=True)
EPYC_AVX512_BF16 = CpuCapabilities("AVX512", avx2=True, avx512=True, avx512_bf16=True,
                                   amx=False)
EPYC_ZEN3_AVX2 = CpuCapabilities("AVX2", avx2=True, avx512=False, avx512_bf16=False,
                                 amx=False)
OLD_AVX512 = CpuCapabilities("AVX512", avx2=True, avx512=True, avx512_bf16=False, amx=False)
NO_SIMD = CpuCapabilities("DEFAULT", avx2=False, avx512=False, avx512_bf16=False, amx=False)


@pytest.mark.parametrize(("cpu", "bf16"), [
    (XEON_AMX, True), (EPYC_AVX512_BF16, True), (EPYC_ZEN3_AVX2, False), (OLD_AVX512, False),
    (NO_SIMD, False)])
def test_auto_on_each_kind_of_cpu(cpu: CpuCapabilities, bf16: bool) -> None:
    chosen = decide("cpu", AUTO, True, cpu=cpu)
    assert chosen.bf16 is bf16
    assert chosen.dtype == ("bfloat16" if bf16 else "float32")
    assert chosen.channels_last  # the layout setting is kept as it is
    assert chosen.reason.startswith("training.bf16 is auto and the CPU ")
    if bf16:
        assert "AVX-512-BF16" in chosen.reason
        assert ("AMX" in chosen.reason) is cpu.amx
    else:
        assert "emulated" in chosen.reason


@pytest.mark.parametrize(("cuda_bf16", "bf16"), [(True, True), (False, False)])
def test_auto_on_a_gpu_follows_its_bf16_support(cuda_bf16: bool, bf16: bool) -> None:
    # The host CPU plays no part on a GPU.
    assert decide("cuda", AUTO, False, cpu=EPYC_ZEN3_AVX2, cuda_bf16=cuda_bf16).bf16 is bf16
    assert decide("cuda", AUTO, False, cpu=XEON_AMX, cuda_bf16=cuda_bf16).bf16 is bf16


@pytest.mark.parametrize("forced", [True, False])
@pytest.mark.parametrize("cpu", [XEON_AMX, EPYC_ZEN3_AVX2])
def test_true_and_false_force_the_mode(forced: bool, cpu: CpuCapabilities) -> None:
    chosen = decide("cpu", forced, False, cpu=cpu)
    assert chosen.bf16 is forced and not chosen.channels_last
    assert chosen.reason == f"training.bf16 is {str(forced).lower()}"


@pytest.mark.parametrize(("chosen", "rule", "detail"), [
    (decide("cpu", True, True, cpu=EPYC_ZEN3_AVX2), "setting", "true"),
    (decide("cuda", False, True), "setting", "false"),
    (decide("cuda", AUTO, True, cuda_bf16=True), "gpu_bf16", "cuda"),
    (decide("cuda", AUTO, True, cuda_bf16=False), "gpu_no_bf16", "cuda"),
    (decide("mps", AUTO, True), "other_device", "mps"),
    (decide("cpu", AUTO, True, cpu=XEON_AMX), "cpu_native", "AMX, AVX-512-BF16"),
    (decide("cpu", AUTO, True, cpu=EPYC_AVX512_BF16), "cpu_native", "AVX-512-BF16"),
    (decide("cpu", AUTO, True, cpu=OLD_AVX512), "cpu_emulated", "cpu")])
def test_the_reason_is_recorded_as_a_rule_to_word_in_any_language(
        chosen: precision.Precision, rule: str, detail: str) -> None:
    """Beside the English reason, the rule and its detail, from which a document words the
    reason in its own language (study.reporting.reproducibility.precision_sentence)."""
    assert (chosen.rule, chosen.detail) == (rule, detail)
    assert chosen.reason == precision.REASONS[rule].format(detail=detail)
    record = chosen.record()
    assert (record["precision_rule"], record["precision_detail"]) == (rule, detail)
    assert record["precision_reason"] == chosen.reason


def test_a_bad_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="true, false or 'auto'"):
        decide("cpu", "yes", True, cpu=XEON_AMX)
    with pytest.raises(ConfigError, match=r"training\.bf16: 'sometimes' is not one of: true, "
                       r"false, 'auto'"):
        TrainSettings.from_dict({"bf16": "sometimes"})
    assert TrainSettings.from_dict({"bf16": "auto"}).bf16 == AUTO
    assert TrainSettings().bf16 == AUTO  # the default


def test_this_machine_reads_its_own_capabilities_and_decides_the_same_every_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = choose_precision("cpu")
    assert all(choose_precision("cpu") == first for _ in range(3))
    assert first.bf16 is precision.cpu_capabilities().native_bf16
    # What PyTorch reports is what decides: fake an AMX CPU, then one with AVX2 only.
    for amx in (True, False):
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx,
                            raising=False)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False,
                            raising=False)
        assert choose_precision("cpu").bf16 is amx


def test_a_missing_report_counts_as_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    """An older PyTorch without the helpers: no native bfloat16 is assumed, never a crash."""
    for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        monkeypatch.delattr(torch.cpu, name, raising=False)
    assert choose_precision("cpu").bf16 is False


def test_capabilities_summary_names_every_flag() -> None:
    assert EPYC_ZEN3_AVX2.summary() == "AVX2 yes, AVX-512 no, AVX-512-BF16 no, AMX no"
    assert XEON_AMX.summary("oui", "non") == "AVX2 oui, AVX-512 oui, AVX-512-BF16 oui, AMX oui"
    assert set(precision.capabilities_record()) == {"capability", "avx2", "avx512",
                                                   "avx512_bf16", "amx"}


def test_a_trained_run_is_predicted_with_its_own_setting_through_the_rule() -> None:
    assert run_precision({"settings": {"bf16": False}}, "cpu").bf16 is False
    assert run_precision({"settings": {"bf16": True, "channels_last": False}}, "cpu") \
        == decide("cpu", True, False, cpu=XEON_AMX)
    assert run_precision({}, "cpu") == choose_precision("cpu", AUTO)


def test_training_records_the_mode_it_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine asks the rule, trains in what it says and reports it; a faked AVX2 CPU
    trains in float32 whatever this machine is."""
    monkeypatch.setattr(precision, "cpu_capabilities", lambda: EPYC_ZEN3_AVX2)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 28, 28, generator=generator)
    y = torch.randint(0, 10, (64,), generator=generator)
    torch.manual_seed(0)
    result = train(create_model("lenet5"), DeviceData(x, y, x[:16], y[:16]),
                   TrainSettings(max_epochs=1, batch_size=32), seed=0, log=lambda _: None)
    assert result.precision == decide("cpu", AUTO, True, cpu=EPYC_ZEN3_AVX2)
    assert result.precision.record() == {
        "precision": "float32", "memory_layout": "channels_last",
        "precision_reason": result.precision.reason, "precision_rule": "cpu_emulated",
        "precision_detail": "cpu"}
