"""Random argument lists thrown at every command: exit codes 0, 1 or 2 and never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from igcdesign.cli import MAX_MESSAGE, app

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


# --- issue 9 §3: each class of hostile input, generated, through the CLI as a user calls it -----

FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ERROR_PREFIX = "igcdesign: error: "
MAX_ERROR_LINE = len(ERROR_PREFIX) + MAX_MESSAGE + 1  # the message cut at MAX_MESSAGE, then "…"


def well_behaved(result, args, verdict: bool = False) -> None:
    """The contract every command keeps whatever it is given: exit 0, 1 (a `check` verdict only)
    or 2; no traceback; on error exactly one 'igcdesign: error:' line of at most MAX_ERROR_LINE
    characters on stderr; with --json and exit 0, stdout is one JSON document."""
    import json

    where = (args[:8], result.exit_code, result.stderr[-600:])
    assert "Traceback" not in result.stdout + result.stderr, where
    assert result.exit_code in ((0, 1, 2) if verdict else (0, 2)), where
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (where, repr(result.exception))
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("igcdesign: error: "), where
        assert len(lines[0]) <= MAX_ERROR_LINE, (where, len(lines[0]))
    if result.exit_code == 0 and "--json" in args:
        json.loads(result.stdout)


def error_line(result, args) -> str:
    well_behaved(result, args)
    assert result.exit_code == 2, (args[:8], result.stdout[-300:])
    return result.stderr.strip()


# Integers a user might type that are not plain ASCII digits within bounds: other scripts'
# digits, full-width and superscript digits, underscores, signs and spaces, 5000 digits.
OTHER_DIGITS = "٠١٢٣٤٥٦٧٨٩۳३৩３²¹⁰"
hostile_integers = st.one_of(
    st.text(alphabet=OTHER_DIGITS, min_size=1, max_size=6),
    st.tuples(st.integers(1, 999), st.integers(0, 999)).map(lambda t: f"{t[0]}_{t[1]:03d}"),
    st.integers(4000, 6000).map(lambda n: "1" + "0" * n),
    st.integers(1, 9).map(lambda d: str(d) * 5000),
    st.sampled_from(["+3", " -3", "-3", "3.0", "0x3", "1e1", "3\u200b", "३2"]),
)

# A cheap valid invocation of each command, and its integer options (from the click command, so
# a new integer option is fuzzed without being listed here). Commands that time torch modules
# or write reports/ are left to tests/test_hostile_cli.py.
BASE = {
    "count": ["count", "igcv1:L=4,M=8"],
    "check": ["check", "igcv1:L=4,M=8"],
    "net": ["net", "regular-cifar:C=16,D=20"],
    "plot": ["plot", "width-vs-params", "--max-params", "1e4", "-o", "f.png"],
    "space": ["space", "-f", "igcv1", "-p", "1e4", "--top", "2"],
    "table": ["table", "-p", "4672"],
    "widest": ["widest", "-p", "1e4"],
}


def integer_options() -> list[tuple[str, str]]:
    import typer.main

    group = typer.main.get_command(app)
    return [(name, param.opts[0]) for name in BASE for param in group.commands[name].params
            if param.opts and param.opts[0].startswith("--") and param.type.name == "integer"]


INTEGER_OPTIONS = integer_options()


def test_every_command_has_integer_options_to_fuzz():
    assert {name for name, _ in INTEGER_OPTIONS} >= {"count", "net", "plot", "space", "table", "widest"}


@FUZZ
@given(option=st.sampled_from(INTEGER_OPTIONS), value=hostile_integers, as_json=st.booleans())
def test_hostile_integer_options_are_one_line_errors(cli, tmp_path, monkeypatch, option, value, as_json):
    monkeypatch.chdir(tmp_path)
    command, flag = option
    args = [*BASE[command], flag, value] + (["--json"] if as_json else [])
    line = error_line(cli(*args), args)
    assert flag in line, (args[:8], line)


SPEC_TEMPLATES = [
    "igcv1:L={},M=8", "igcv1:L=4,M={}", "igcv1:L=4,M=8,k={}", "igcv2:K=1x{}x8", "igcv3:C={},t=6",
    "igcv3:C=24,t={}", "igcv3:C=24,G1={}", "regular:C={}", "dwsep:C={}", "shufflenetv1:C={}",
    "shufflenetv1:C=48,g={}", "chain:W=8/{}/8,G=2/2", "chain:W=8/8/8,G={}/2",
]


@FUZZ
@given(template=st.sampled_from(SPEC_TEMPLATES), value=hostile_integers,
       command=st.sampled_from(["count", "check"]), as_json=st.booleans())
def test_hostile_integers_in_spec_values_are_one_line_errors(cli, template, value, command, as_json):
    args = [command, template.format(value)] + (["--json"] if as_json else [])
    error_line(cli(*args), args)


MARKUP = st.sampled_from(["[bold]", "[/x]", "[/]", "[bold red]", "[link=x]", "[red on blue]x[/]", "\\[b]"])
PLAIN = st.text(alphabet="abcyz019_-", min_size=0, max_size=6)  # no separator of any spec (x , = /)


@FUZZ
@given(template=st.sampled_from(SPEC_TEMPLATES), before=PLAIN, markup=MARKUP, after=PLAIN,
       command=st.sampled_from(["count", "check"]))
def test_markup_in_specs_is_quoted_verbatim(cli, template, before, markup, after, command):
    value = before + markup + after
    args = [command, template.format(value)]
    line = error_line(cli(*args), args)
    separators = ",=" + ("x" if template.startswith("igcv2") else "") + ("/" if template.startswith("chain") else "")
    if not any(sep in markup for sep in separators):  # else the spec splits the markup into values
        assert markup in line, (args, line)


OUT_NAME = dict(before=PLAIN.filter(lambda s: not s.startswith("-")), markup=MARKUP.filter(lambda m: "\\" not in m))


@FUZZ
@given(**OUT_NAME)
def test_markup_in_space_out_names_is_printed_verbatim(cli, tmp_path, monkeypatch, before, markup):
    out_name_is_verbatim(cli, tmp_path, monkeypatch, before, markup, "space")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**OUT_NAME)
def test_markup_in_plot_out_names_is_printed_verbatim(cli, tmp_path, monkeypatch, before, markup):
    """Few examples: each draws a figure (about a second)."""
    out_name_is_verbatim(cli, tmp_path, monkeypatch, before, markup, "plot")


def out_name_is_verbatim(cli, tmp_path, monkeypatch, before, markup, kind):
    monkeypatch.chdir(tmp_path)
    name = f"{before}{markup}x." + ("csv" if kind == "space" else "png")
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)  # '[/x]…' is a folder '[' and a file
    args = ([*BASE["space"], "-o", name] if kind == "space"
            else ["plot", "width-vs-params", "--max-params", "1e4", "-o", name])
    result = cli(*args)
    well_behaved(result, args)
    assert result.exit_code == 0, (args, result.stderr)
    assert name in result.stdout.replace("\n", ""), (args, result.stdout)
    assert (tmp_path / name).is_file()


LONG_TEXT = st.tuples(st.sampled_from("x9[],:=/_ٍ٣é-"), st.integers(500, 120_000)).map(lambda t: t[0] * t[1])
LONG_PLACES = [
    lambda text: ["count", text], lambda text: ["check", "igcv1:L=4,M=" + text],
    lambda text: ["count", "igcv2:K=1x" + text], lambda text: ["widest", "-p", text],
    lambda text: ["widest", "-p", "1e4", "--family", text], lambda text: ["table", "-p", text],
    lambda text: ["space", "-f", text, "-p", "1e4"], lambda text: ["space", "-f", "igcv1", "-p", "1e4", "--min", text],
    lambda text: ["net", text], lambda text: ["derive", text], lambda text: ["plot", text],
    lambda text: ["space", "-f", "igcv1", "-p", "1e4", "--objectives", text],
]


@FUZZ
@given(place=st.sampled_from(LONG_PLACES), text=LONG_TEXT, as_json=st.booleans())
def test_long_inputs_give_short_errors(cli, tmp_path, monkeypatch, place, text, as_json):
    monkeypatch.chdir(tmp_path)
    args = place(text) + (["--json"] if as_json else [])
    result = cli(*args)
    well_behaved(result, args)  # the error line is at most MAX_ERROR_LINE characters
    assert result.exit_code == 2


def stage_text(suffix: str, kind: str, size: int, value: str) -> str:
    """A stage file of one hostile shape: nested `size` deep, `size` stages, or a hostile value."""
    block = "igcv1:L=4,M=8"
    if kind == "deep_list":
        body = "[" * size + "]" * size
        return f'{{"stages": {body}}}' if suffix == ".json" else f"stages: {body}\n"
    if kind == "deep_map":
        body = '{"a": ' * size + "1" + "}" * size
        return f'{{"stages": [{{"block": "{block}", "x": {body}}}]}}' if suffix == ".json" else \
            f"stages: [{{block: '{block}', x: {body}}}]\n"
    if kind == "many_stages":
        if suffix == ".json":
            return '{"stages": [' + ",".join([f'{{"block": "{block}"}}'] * size) + "]}"
        return "stages:\n" + f"  - {{block: '{block}'}}\n" * size
    if kind == "repeats":
        return (f'{{"stages": [{{"block": "{block}", "repeats": {value}}}]}}' if suffix == ".json"
                else f"stages: [{{block: '{block}', repeats: {value}}}]\n")
    if kind == "width":
        return (f'{{"stem": {{"width": {value}}}, "stages": [{{"block": "{block}"}}]}}' if suffix == ".json"
                else f"stem: {{width: {value}}}\nstages: [{{block: '{block}'}}]\n")
    # spec: a hostile integer inside the stage's block spec
    return (f'{{"stages": [{{"block": "igcv1:L={value},M=8"}}]}}' if suffix == ".json"
            else f"stages: [{{block: 'igcv1:L={value},M=8'}}]\n")


STAGE_VALUES = st.one_of(hostile_integers.filter(lambda v: v.strip() and "_" not in v or len(v) > 100),
                         st.sampled_from(["NaN", "-1", "0", "1.5", "true", "null", "[1]", "99999999999999999999"]))


@FUZZ
@given(suffix=st.sampled_from([".yaml", ".json"]),
       kind=st.sampled_from(["deep_list", "deep_map", "many_stages", "repeats", "width", "spec"]),
       size=st.one_of(st.integers(1, 50), st.integers(1000, 120_000)), value=STAGE_VALUES, as_json=st.booleans())
def test_deep_and_large_stage_files_are_answered(cli, tmp_path, suffix, kind, size, value, as_json):
    path = tmp_path / ("n" + suffix)
    path.write_text(stage_text(suffix, kind, size, value))
    args = ["net", str(path)] + (["--json"] if as_json else [])
    well_behaved(cli(*args), args)


perm_entries = st.one_of(
    st.integers(-3, 10), st.integers(10**20, 10**30), st.sampled_from(["NaN", "1.5", '"3"', "null", "true", "1" * 5000]),
)
perm_texts = st.one_of(
    st.lists(st.lists(perm_entries, max_size=10).map(lambda row: "[" + ",".join(map(str, row)) + "]"), max_size=3)
    .map(lambda rows: "[" + ",".join(rows) + "]"),
    st.permutations(range(8)).map(lambda p: "[" + str(list(p)) + "]"),  # valid: exit 0 or 1 by verdict
    st.integers(1, 120_000).map(lambda n: "[" * n + "]" * n),
    st.text(max_size=40),
    st.sampled_from(["", "{}", '{"perms": 1}', "[[0,1,2,3,4,5,6,7]", "\x00\xff", "[[0,0,0,0,0,0,0,0]]"]),
)


@FUZZ
@given(text=perm_texts, as_json=st.booleans())
def test_bad_perm_files_are_answered(cli, tmp_path, text, as_json):
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    args = ["check", "chain:W=8/8/8,G=2/2", "--perm-file", str(path)] + (["--json"] if as_json else [])
    well_behaved(cli(*args), args, verdict=True)
