"""An error quotes at most about 100 characters of what the user typed (issue 9 §3): a 120 KB
spec, file name or option value gives a short line, not 120 KB of echo."""

from __future__ import annotations

import pytest

BIG = 120_000
LONG_SPEC = "igcv1:L=4,M=" + "x" * BIG
LONG_NAME = "n" * BIG
LONG_WORD = "w" * BIG
LIMIT = 300  # characters of the error line


def short_error(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout[-300:], result.stderr[-300:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error: "), result.stderr[:500]
    assert len(lines[0]) < LIMIT, lines[0][:500]
    return lines[0]


@pytest.mark.parametrize("args", [
    ("count", LONG_SPEC),
    ("check", LONG_SPEC),
    ("net", LONG_SPEC),
    ("net", "regular-cifar:C=16,D=" + "9" * BIG),
    ("net", LONG_NAME + ".yaml"),
    ("check", "igcv1:L=4,M=2", "--perm-file", LONG_NAME),
    ("space", "-f", "igcv1", "-p", "1e4", "--out", LONG_NAME + ".csv"),
    ("space", "-f", "igcv1", "-p", "1e4", "--min", LONG_WORD + "=3"),
    ("space", "-f", "igcv1", "-p", "1e4", "--pareto", "--objectives", "width," + LONG_WORD),
    ("widest", "-p", "1e4", "--family", LONG_WORD),
    ("widest", "-p", "1e4", "--rule", LONG_WORD),
    ("table", "-p", "1e4", "--family", LONG_WORD),
    ("plot", LONG_WORD, "--out", "x.png"),
    ("count", "igcv1:L=4,M=2", "--dtype", LONG_WORD),
])
def test_long_user_text_is_quoted_short(cli, args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = short_error(cli(*args))
    assert "characters" in line or "File name too long" in line or "not" in line


def test_long_spec_inside_a_stage_file(cli, tmp_path):
    stages = tmp_path / "big.yaml"
    stages.write_text(f'stages:\n  - {{block: "{LONG_SPEC}", width: 64}}\n')
    short_error(cli("net", str(stages)))
