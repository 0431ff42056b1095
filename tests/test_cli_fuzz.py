"""Random argument lists thrown at every command: exit codes 0, 1 or 2 and never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from igcdesign.cli import app

# Commands that time real torch modules or rewrite reports/ get their bad-input tests elsewhere.
SLOW_OR_WRITING = {"probe", "report"}
COMMANDS = sorted(
    c.name or c.callback.__name__ for c in app.registered_commands if (c.name or c.callback.__name__) not in SLOW_OR_WRITING
)

OPTIONS = [
    "--params", "--kernel", "-k", "--json", "--hw", "--family", "-f", "--expansion", "--g1", "--g2",
    "--latex", "--tolerance", "--max-params", "--pareto", "--min-width", "--multiple-of", "--min-M",
    "--objectives", "--classes", "--resolution", "--bn", "--no-fc", "--out", "--csv", "--markdown",
    "--perm-file", "--help", "--bogus",
]
VALUES = [
    "0", "-1", "1", "3", "2.5", "64", "4672", "1e4", "2.5M", "17.5k", "1_000", "nan", "inf", "1e400",
    "1e30", "abc", "", " ", "all", "igcv1", "igcv2", "igcv3", "regular", "width,params", "bogus",
    "igcv1:L=4,M=8", "igcv2:K=1x8x8", "igcv3:C=24,t=6,G1=2,G2=2", "chain:W=8/8/8,G=2/2,P=s",
    "chain:W=8/8/8,G=2/3", "regular:C=0", "dwsep:C=9999999999999999", "igcv1:L=2,L=2",
    "igcv1-cifar:L=4,M=8,D=20", "regular-cifar:C=16,D=7", "out.png", "out.csv", "out.xyz",
    "missing/dir/out.csv", "perm.json", "width-vs-params", "pareto", "igcv1-table",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(COMMANDS), rest=st.lists(st.sampled_from(OPTIONS + VALUES), max_size=6))
def test_random_arguments_never_crash(tmp_path, monkeypatch, command, rest):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [command, *rest], prog_name="igcdesign")
    assert result.exit_code in (0, 1, 2), (command, rest, result.stderr)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (command, rest, repr(result.exception))
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("igcdesign: error:"), (command, rest, result.stderr)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_json(cli, command):
    assert "--json" in cli(command, "--help").stdout
