"""The console entry point as a shell runs it: one process, the real exit codes and streams."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "pandas", "matplotlib", "sympy")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "igcdesign", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_every_command():
    from igcdesign.cli import command_names

    result = run("--help")
    assert result.returncode == 0
    for name in command_names():
        assert name in result.stdout


@pytest.mark.parametrize("args", [["widest", "--params", "1e6", "--json"], ["-h", "widest"], ["widest", "-h"]])
def test_entry_point_runs(args):
    result = run(*args)
    assert result.returncode == 0, result.stderr
    if "--json" in args:
        assert json.loads(result.stdout)["budget"] == 10**6


@pytest.mark.parametrize("args", [["nope"], ["widest", "--params", "0"], ["count", "igcv1:L=0,M=1"], ["--bogus"]])
def test_entry_point_errors_are_one_line(args):
    result = run(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("igcdesign: error:")


@pytest.mark.parametrize("args", [["--help"], ["widest", "--params", "1e6", "--kernel", "3"], ["count", "igcv1:L=4,M=8"]])
def test_instant_paths_import_nothing_heavy(args):
    probe = (
        "import sys, io, contextlib\n"
        "from igcdesign.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({args!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
