"""Inside the user's files: a 5000-digit integer is a validation error naming its field and the
digit bound (never int()'s 4,300-digit ValueError), and a stage file that is a symlink to a
device is "not a regular file", not "not found" (issue 9 §3)."""

from __future__ import annotations

import os

import pytest

from igcdesign.nets.userfile import MAX_INT_DIGITS

HUGE = "9" * 5000


def one_line_error(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout[-300:], result.stderr[-300:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error: "), result.stderr[:500]
    assert "internal error" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("text, field", [
    (f'stages:\n  - {{block: "igcv1:L=4,M=2", width: 8, repeats: {HUGE}}}\n', "stage 1 repeats"),
    (f'classes: {HUGE}\nstages:\n  - {{block: "igcv1:L=4,M=2", width: 8}}\n', "classes"),
    (f'stages:\n  - {{block: "igcv1:L=4,M=2", width: {HUGE}}}\n', "stage 1 width"),
    (f'resolution: -{HUGE}\nstages:\n  - {{block: "igcv1:L=4,M=2", width: 8}}\n', "resolution"),
])
def test_long_integer_in_stage_file_names_its_field(cli, tmp_path, text, field):
    path = tmp_path / "net.yaml"
    path.write_text(text)
    line = one_line_error(cli("net", str(path)))
    assert f"{field}: an integer of 5,000 digits (at most {MAX_INT_DIGITS})" in line, line


@pytest.mark.parametrize("text", [f"{HUGE} 0 1 2\n", f"[[{HUGE}, 0]]\n"])
def test_long_integer_in_perm_file(cli, tmp_path, text):
    path = tmp_path / ("perm.json" if text.startswith("[") else "perm.txt")
    path.write_text(text)
    line = one_line_error(cli("check", "igcv1:L=2,M=2", "--perm-file", str(path)))
    assert "--perm-file" in line and "5,000 digits" in line and f"at most {MAX_INT_DIGITS}" in line


def test_stage_file_symlink_to_dev_zero_is_not_regular(cli, tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    line = one_line_error(cli("net", str(link)))
    assert "not a regular file" in line and "not found" not in line
