"""The precision a run computes in, chosen by what the hardware reports.

bfloat16 autocast pays only where the hardware computes bfloat16 itself: on a GPU that
supports it, and on a CPU with AMX or AVX-512-BF16. Elsewhere (AVX2 only, as on most
laptops) oneDNN emulates it and every training step is 5-9x slower than in float32, so
`auto` picks float32 there. `true` and `false` force a mode. This module is the one place
that decides; training, validation, the search, the evaluation and the figures ask it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

AUTO = "auto"


@dataclass(frozen=True)
class CpuCapabilities:
    """What the CPU offers that decides the precision, as PyTorch reports it."""

    capability: str  # torch.backends.cpu.get_cpu_capability(): DEFAULT, AVX2, AVX512...
    avx2: bool
    avx512: bool
    avx512_bf16: bool
    amx: bool  # AMX tiles (AMX-BF16 on every CPU that has them)

    @property
    def native_bf16(self) -> bool:
        return self.amx or self.avx512_bf16

    def summary(self, yes: str = "yes", no: str = "no") -> str:
        """E.g. 'AVX2 yes, AVX-512 no, AVX-512-BF16 no, AMX no' (`yes` and `no` in the
        document's language)."""
        flags = {"AVX2": self.avx2, "AVX-512": self.avx512, "AVX-512-BF16": self.avx512_bf16,
                 "AMX": self.amx}
        return ", ".join(f"{name} {yes if on else no}" for name, on in flags.items())


def _reported(name: str) -> bool:
    check = getattr(torch.cpu, name, None)  # private helpers: absent means "not reported"
    try:
        return bool(check()) if check is not None else False
    except RuntimeError:
        return False


def cpu_capabilities() -> CpuCapabilities:
    """This machine's CPU capabilities, as PyTorch (cpuinfo) reads them."""
    return CpuCapabilities(capability=torch.backends.cpu.get_cpu_capability(),
                           avx2=_reported("_is_avx2_supported"),
                           avx512=_reported("_is_avx512_supported"),
                           avx512_bf16=_reported("_is_avx512_bf16_supported"),
                           amx=_reported("_is_amx_tile_supported"))


# Why a precision was chosen, by rule: the English reason a run records (`{detail}` is the
# setting's value, the device type, or the instruction sets that compute bfloat16 natively).
# The documents word the same rules in their language from `labels.precision.reasons` of the
# wording files, whose English must read as these do.
REASONS = {
    "setting": "training.bf16 is {detail}",
    "gpu_bf16": "training.bf16 is auto and the GPU computes bfloat16",
    "gpu_no_bf16": "training.bf16 is auto and the GPU does not compute bfloat16",
    "other_device": "training.bf16 is auto and {detail} is not a CPU or a GPU",
    "cpu_native": "training.bf16 is auto and the CPU computes bfloat16 natively ({detail})",
    "cpu_emulated": "training.bf16 is auto and the CPU has neither AMX nor AVX-512-BF16: "
                    "bfloat16 would be emulated there, several times slower than float32",
}


@dataclass(frozen=True)
class Precision:
    """How a model computes: bfloat16 autocast or float32, in which memory layout, and why
    (`reason` in English; `rule`, a key of REASONS, and its `detail` for any language)."""

    bf16: bool
    channels_last: bool
    reason: str
    rule: str = ""
    detail: str = ""

    @property
    def dtype(self) -> str:
        return "bfloat16" if self.bf16 else "float32"

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    @property
    def layout(self) -> str:
        return "channels_last" if self.channels_last else "contiguous"

    def record(self) -> dict[str, Any]:
        """What a run's train.json and a benchmark keep of it."""
        return {"precision": self.dtype, "memory_layout": self.layout,
                "precision_reason": self.reason, "precision_rule": self.rule,
                "precision_detail": self.detail}


def _by_rule(bf16: bool, channels_last: bool, rule: str, detail: str) -> Precision:
    return Precision(bf16, channels_last, REASONS[rule].format(detail=detail), rule, detail)


def decide(device_type: str, bf16: bool | str, channels_last: bool,
           cpu: CpuCapabilities | None = None, cuda_bf16: bool = False) -> Precision:
    """The precision for these settings on a device with these capabilities.

    A pure function of what the hardware reports, so the same machine always makes the same
    choice and each kind of machine can be tested by faking its report.
    """
    if bf16 is True or bf16 is False:
        return _by_rule(bf16, channels_last, "setting", str(bf16).lower())
    if bf16 != AUTO:
        raise ValueError(f"bf16 must be true, false or {AUTO!r}, got {bf16!r}")
    if device_type == "cuda":
        rule = "gpu_bf16" if cuda_bf16 else "gpu_no_bf16"
        return _by_rule(bool(cuda_bf16), channels_last, rule, device_type)
    if device_type != "cpu":
        return _by_rule(False, channels_last, "other_device", device_type)
    if cpu is None:
        raise ValueError("the CPU's capabilities are needed to decide on a CPU")
    native = ", ".join(n for n, on in (("AMX", cpu.amx), ("AVX-512-BF16", cpu.avx512_bf16))
                       if on)
    if native:
        return _by_rule(True, channels_last, "cpu_native", native)
    return _by_rule(False, channels_last, "cpu_emulated", device_type)


def choose_precision(device: torch.device | str, bf16: bool | str = AUTO,
                     channels_last: bool = True) -> Precision:
    """The precision for `device` on this machine (training.bf16 may be true, false or
    auto)."""
    device = torch.device(device)
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported(including_emulation=False)
    cpu = cpu_capabilities() if device.type == "cpu" else None
    return decide(device.type, bf16, channels_last, cpu=cpu, cuda_bf16=cuda_bf16)


def capabilities_record() -> dict[str, Any]:
    """The CPU's capabilities for a benchmark JSON or the reproducibility appendix."""
    return asdict(cpu_capabilities())


def run_precision(meta: dict[str, Any], device: torch.device | str) -> Precision:
    """The precision to compute a trained run's predictions in on `device`: its own
    `training.bf16` setting through the same rule, so that the test predictions are made
    as the validation ones that chose its epoch were, wherever that is fast."""
    settings = meta.get("settings") or {}
    return choose_precision(device, settings.get("bf16", AUTO),
                            settings.get("channels_last", True))
