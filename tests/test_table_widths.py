"""Tables never fold a number or a spec across lines, piped or on a narrow terminal.

Each command is run as a pipe would run it (CliRunner has no tty) with COLUMNS set to 40, 80
and 200. The numbers and specs its --json gives for the columns that are never left out must
appear whole in the text; every line fits the width, unless the output says the table needs
more columns than the terminal has and points to --json.
"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from igcdesign.cli import app
from igcdesign.textable import Need, box_table, fit_widths

WIDTHS = (40, 80, 200)


def run(args, columns: int | None = None) -> str:
    env = {"COLUMNS": str(columns)} if columns else {}
    result = CliRunner(env=env).invoke(app, list(args), prog_name="igcdesign")
    assert result.exit_code in (0, 1), (args, result.stderr)
    return result.stdout


def number(n: int) -> str:
    return f"{n:,}"


def widest_tokens(doc):
    for r in doc["results"]:
        if r["width"] is not None:
            yield r["spec"]
            yield number(r["width"])
            yield number(r["params"])


def table_tokens(doc):
    for r in doc["rows"]:
        yield number(r["params"])
        yield number(r["width"] if "width" in r else r["C"])


def space_tokens(doc):
    for r in doc["rows"]:
        yield r["config"]
        yield number(r["width"])
        yield number(r["params"])


def count_tokens(doc):
    yield doc["spec"]
    for r in doc["layers"]:
        yield number(r["params"])


def check_tokens(doc):
    for r in doc["layers"]:
        if r["kind"] == "conv":
            yield number(r["paths_max"])
            yield f"{number(r['cin'])}→{number(r['cout'])},"


def net_tokens(doc):
    for r in doc["stages"]:
        yield number(r["params"])
        yield number(r["width"])
    yield number(doc["params"])


CASES = [
    (["widest", "-p", "1e6"], widest_tokens),
    (["widest", "-p", "1e9"], widest_tokens),
    (["table", "-p", "1e6", "-f", "igcv3"], table_tokens),
    (["table", "-p", "4672"], table_tokens),
    (["table", "-p", "17536", "-f", "igcv2"], table_tokens),
    (["space", "-f", "igcv1", "-p", "1e6", "--top", "5"], space_tokens),
    (["space", "-f", "igcv2", "-p", "1e5", "--top", "5"], space_tokens),
    (["count", "igcv3:C=24", "--hw", "56"], count_tokens),
    (["check", "igcv3:C=24,t=6,G1=2,G2=2"], check_tokens),
    (["check", "igcv2:C=64,K=1x4x4"], check_tokens),
    (["net", "igcv1-cifar:L=24,M=2,D=20"], net_tokens),
]


def whole(token: str, text: str) -> bool:
    """`token` appears in `text` on one line, not as part of a longer number or spec."""
    return re.search(r"(?<![\w,=:.])" + re.escape(token) + r"(?![\w,=.])", text) is not None \
        or re.search(r"(?<![\w,=:.])" + re.escape(token), text) is not None and token.endswith(",")


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("args,tokens", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_no_number_or_spec_is_folded(args, tokens, columns):
    doc = json.loads(run([*args, "--json"]))
    text = run(args, columns)
    missing = [t for t in tokens(doc) if not whole(t, text)]
    assert not missing, f"folded or missing at {columns} columns: {missing[:5]}\n{text}"
    too_wide = f"the terminal has {columns}" in " ".join(text.split())
    if not too_wide:
        long = [line for line in text.splitlines() if len(line) > columns]
        assert not long, f"lines wider than {columns}:\n" + "\n".join(long)
    else:
        assert "--json" in text


def test_a_table_too_wide_leaves_out_its_optional_columns_and_says_so():
    text = run(["table", "-p", "1e6", "-f", "igcv3"], 80)
    words = " ".join(text.split())
    assert "left out to fit 80 columns" in words and "within tol." in words.split("left out")[1]
    assert all(len(line) <= 80 for line in text.splitlines())
    wide = run(["table", "-p", "1e6", "-f", "igcv3"], 200)
    assert "left out" not in wide and "within tol." in wide


def test_fit_widths_drops_in_order_and_never_goes_below_the_unbreakable():
    needs = [Need(5, 5), Need(3, 10), Need(7, 7)]  # frame: 1 + 3 per column
    fit = fit_widths(needs, 1, 3, 100, drop=[2])
    assert fit.widths == [5, 10, 7] and fit.fits
    fit = fit_widths(needs, 1, 3, 1 + 3 * 3 + 5 + 3 + 7, drop=[2])
    assert fit.widths == [5, 3, 7] and fit.fits
    fit = fit_widths(needs, 1, 3, 20, drop=[2, 0])
    assert fit.widths == [5, 8, None] and fit.fits  # 1 + 8 + 6 = 15 ≤ 20 after one drop; 5 spare
    fit = fit_widths(needs, 1, 3, 10, drop=[2, 0])
    assert fit.widths == [None, 6, None] and fit.fits is True
    fit = fit_widths(needs, 1, 3, 5, drop=[2, 0])
    assert fit.widths == [None, 3, None] and not fit.fits


def test_box_table_wraps_only_at_spaces():
    text = box_table("t", ["a", "b"], [["1,016,064", "one two three"]], [True, False], wrap=("b",), width=22)
    assert "1,016,064" in text and all(len(line) <= 22 for line in text.splitlines())
    assert "one" in text and "three" in text and "thr" not in text.replace("three", "")
