"""The command line: every flag explained, shared options declared once, the device named
in one place and a bad one refused in one line."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from study.cli import build_parser
from study.cli.options import device_options

REPO = Path(__file__).resolve().parents[1]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_rule_calls_a_command_and_every_flag_has_a_help_line() -> None:
    commands = subcommands()
    called = {m for path in (REPO / "workflow" / "rules").glob("*.smk")
              for m in re.findall(r"python -m study ([\w-]+)", path.read_text())}
    assert called and called <= set(commands), called - set(commands)
    for name, parser in commands.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"study {name} {'/'.join(action.option_strings) or action.dest}"


def test_the_device_options_are_the_shared_ones() -> None:
    """Every command that takes --device takes it with --threads, from the one parent."""
    shared = {a.dest: a.help for a in device_options()._actions if a.dest != "help"}
    for name, parser in subcommands().items():
        own = {a.dest: a.help for a in parser._actions if a.dest in shared}
        assert own in ({}, shared), name


def _evaluate(device: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "study", "evaluate", "--checkpoint", str(tmp_path / "m.pt"),
         "--test", str(tmp_path / "t.npz"), "--device", device,
         "--metrics-out", str(tmp_path / "m.json"), "--confusion-out", str(tmp_path / "c.csv"),
         "--predictions-out", str(tmp_path / "p.npz")],
        capture_output=True, text=True, cwd=REPO)


def test_an_unknown_device_is_one_line(tmp_path: Path) -> None:
    result = _evaluate("tpu9", tmp_path)
    assert result.returncode == 1
    assert result.stderr == "error: unknown device 'tpu9': use cpu, cuda, cuda:N or auto\n"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_one_line(tmp_path: Path) -> None:
    result = _evaluate("cuda", tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: device 'cuda' asked for, but PyTorch sees no "
                                    "CUDA GPU on this machine")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize(("command", "lists"), [
    (["evaluate", "--checkpoint", "a.pt", "b.pt", "--test", "t.npz"],
     ["--metrics-out", "--confusion-out", "--predictions-out"]),
    (["train-group", "--arch", "mlp", "--train-size", "500", "--runs", "none:0", "none:1",
      "--train", "t.npz", "--split", "s.npz", "--settings", '{"none": {}}'],
     ["--model-out", "--history-out", "--summary-out", "--resume"]),
])
def test_a_file_list_of_the_wrong_length_is_one_line(
        command: list[str], lists: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A job given one file too few for its runs stops before any work, naming the list."""
    from study.cli import main

    given = [word for option in lists for word in (option, "x1", "x2")]
    given[given.index(lists[-1]) + 2:given.index(lists[-1]) + 3] = []  # the last list short
    with pytest.raises(SystemExit) as exit_code:
        main([*command, *given])
    assert exit_code.value.code == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(f"error: {lists[-1]}: 1 file for 2 ")


def test_the_reproducibility_tables_are_written_in_each_language(tmp_path: Path) -> None:
    from study.cli import main

    names = ("environment", "run_times", "data_hashes")
    outputs = {f"{prefix}{name}": tmp_path / f"{prefix}{name}.md"
               for name in names for prefix in ("", "fr_")}
    main(["reproducibility", "--languages", "en", "fr", "--outputs",
          *(f"{name}={path}" for name, path in outputs.items())])
    assert (tmp_path / "data_hashes.md").read_text().startswith("| What ")
    assert (tmp_path / "fr_data_hashes.md").read_text().startswith("| Quoi ")
    assert subcommands()["reproducibility"].parse_args(
        ["--outputs", "environment=e.md"]).languages == ["en"]  # English by default


def test_the_effective_config_takes_its_translations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from study.cli import main

    command = ["effective-config", "--config", '{"seeds": [0]}', "--command", "snakemake",
               "--out", str(tmp_path / "config.yaml"), "--table", str(tmp_path / "config.md")]
    main([*command, "--translations", f"fr={tmp_path / 'fr_config.md'}"])
    assert (tmp_path / "config.md").read_text().startswith("The study ran with `snakemake`")
    assert (tmp_path / "fr_config.md").read_text().startswith("L'étude a été lancée par")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_code:
        main([*command, "--translations", f"xx={tmp_path / 'xx_config.md'}"])
    assert exit_code.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("error: --translations: no translation xx; use ") and "fr" in error
    assert error.count("\n") == 1
    assert not (tmp_path / "xx_config.md").exists()
