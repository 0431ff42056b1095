"""Hostile input through the CLI as a user calls it: one stderr line and exit 2, never a traceback.

Each test names the input that crashed, hung or misread before (issue 9 §3). Exit 1 is
`check`'s verdict, so no failure may end with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def one_line_error(result) -> str:
    """The single 'igcdesign: error:' line of a result that must have exit code 2."""
    assert result.exit_code == 2, (result.exit_code, result.stdout[-500:], result.stderr[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error: "), result.stderr[-2000:]
    return lines[0]


def run_process(*args: str, stdout=subprocess.PIPE, env: dict | None = None, timeout: float = 60, **kw):
    """`python -m igcdesign ARGS` in a child process (for file descriptors, signals, environment)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "igcdesign", *args], stdout=stdout, stderr=subprocess.PIPE,
                          env=environment, timeout=timeout, **kw)


# --- integer options: exactly what spec values accept -------------------------------------------

@pytest.mark.parametrize("value", ["3_0", "٣", "３", "+3", " -3", "3.0", "0x3", "1e1", "²"])
def test_kernel_option_takes_ascii_digits_only(cli, value):
    line = one_line_error(cli("widest", "-p", "1e4", "-k", value, "--json"))
    assert "--kernel" in line


def test_integer_option_accepts_plain_digits(cli):
    assert cli("count", "igcv1:L=4,M=8", "--hw", "016", "--json").json()["hw"] == 16


@pytest.mark.parametrize("args", [
    ("count", "igcv1:L=4,M=8", "--hw", "３２"),
    ("space", "-f", "igcv1", "-p", "1e4", "-t", "99999999999999999999"),
    ("space", "-f", "igcv1", "-p", "1e4", "--multiple-of", "99999999999999999999"),
    ("space", "-f", "igcv1", "-p", "1e4", "--min-width", "1" + "0" * 5000),
    ("widest", "-p", "1e4", "--g1", "٢"),
    ("net", "regular-cifar:C=16,D=20", "--classes", "1_0"),
    ("table", "-p", "4672", "-t", "1" * 30),
])
def test_integer_options_refuse_other_digits_and_huge_values(cli, args):
    one_line_error(cli(*args))


def test_integer_option_bounds_are_in_help(cli):
    text = cli("space", "--help").stdout
    assert "[1–65,536]" in text and "[1–1,024]" in text


def test_min_filter_value_is_digits(cli):
    assert "--min M" in one_line_error(cli("space", "-f", "igcv1", "-p", "1e4", "--min", "M=²"))


@pytest.mark.parametrize("flag", ["--batch"])
def test_batch_list_takes_ascii_digits_only(cli, flag):
    one_line_error(cli("widest", "-p", "1e4", "--measure", flag, "1,٣"))


def test_groups_list_is_bounded(cli):
    groups = ",".join(str(g) for g in range(1, 1001))
    line = one_line_error(cli("table", "-f", "igcv3", "-p", "1e6", "--groups", groups))
    assert "at most 32" in line
    assert "at most 32 values" in cli("table", "--help").stdout


# --- errors quote at most about 100 characters of the input --------------------------------------

def test_long_spec_is_quoted_short(cli):
    spec = "igcv1:L=4,M=" + "x" * 120_000
    line = one_line_error(cli("count", spec))
    assert len(line) < 300 and "characters)" in line


def test_spec_length_is_bounded_before_work(cli):
    spec = "igcv2:K=" + "x".join(["1"] + ["9"] * 30_000)
    line = one_line_error(cli("count", spec))
    assert "longer than 16,384 characters" in line and len(line) < 300


def test_branch_count_is_bounded(cli):
    spec = "igcv2:K=" + "x".join(["1"] * 2000)
    assert "at most 1,024" in one_line_error(cli("count", spec))


# --- output errors -----------------------------------------------------------------------------

def test_stdout_full_is_one_line():
    r = run_process("count", "igcv1:L=4,M=8", "--json", stdout=open("/dev/full", "w"))
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1
    assert "No space left" in r.stderr.decode()


def test_stdout_closed_is_one_line():
    r = run_process("check", "igcv1:L=4,M=8", stdout=subprocess.DEVNULL, close_fds=True,
                    preexec_fn=lambda: os.close(1))
    assert r.returncode == 2 and r.stderr.decode().startswith("igcdesign: error:")
    assert r.stderr.decode().count("\n") == 1


def test_broken_pipe_of_check_is_not_a_verdict():
    """A reader that goes away is not 'not complementary' (exit 1)."""
    p = subprocess.Popen([sys.executable, "-m", "igcdesign", "check", "chain:W=8/8/8,G=8/8"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    p.stdout.close()  # the reader is gone before the first write
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 2 and err == ""  # silent, as a reader that left expects


def test_bogus_matplotlib_backend_is_moot(tmp_path):
    out = tmp_path / "w.png"
    r = run_process("plot", "width-vs-params", "--max-params", "1e4", "-o", str(out), env={"MPLBACKEND": "bogus"})
    assert r.returncode == 0, r.stderr.decode()
    assert out.stat().st_size > 0


def test_unexpected_failure_in_check_exits_2_not_1(cli, monkeypatch):
    """A crash inside `check` (here: a bug simulated in the checker) never reads as the verdict 1."""
    import igcdesign.connectivity as connectivity

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(connectivity, "analyze", broken)
    line = one_line_error(cli("check", "chain:W=8/8/8,G=8/8"))
    assert "simulated bug" in line


def test_deep_recursion_is_one_line(cli, monkeypatch):
    import igcdesign.connectivity as connectivity

    def deep(*args, **kwargs):
        return deep()

    monkeypatch.setattr(connectivity, "analyze", deep)
    assert "nested too deeply" in one_line_error(cli("check", "igcv1:L=4,M=8"))


# --- user text is printed verbatim, never as rich markup ---------------------------------------

def test_plot_out_name_with_brackets_is_printed_verbatim(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli("plot", "width-vs-params", "--max-params", "1e4", "-o", "fig[old].png")
    assert r.exit_code == 0 and r.stdout.strip() == "wrote fig[old].png"
    assert (tmp_path / "fig[old].png").is_file()


@pytest.mark.parametrize("name", ["[/x].csv", "[bold red]x[/].csv", "a[/].json"])
def test_space_out_name_with_markup_is_printed_verbatim(cli, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)  # '[/x].csv' is x].csv in folder '['
    r = cli("space", "-f", "igcv1", "-p", "1e4", "--top", "2", "-o", name)
    assert r.exit_code == 0, r.stderr
    assert name in r.stdout.replace("\n", "")
