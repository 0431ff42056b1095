"""`igcdesign inspect` on models written here: blocks, permutations however they are written,
verdicts against brute force on the real modules, totals against the models' own counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import inspect_models as models  # noqa: E402
from inspect_brute import block_paths, bn_params, closed_form_mult_adds, linearised, verdict  # noqa: E402

MODELS = Path(models.__file__)
SMALL = (1, 3, 32, 32)


def inspect_json(cli, name: str, *extra: str) -> dict:
    result = cli("inspect", f"{MODELS}:{name}", "--input", "1x3x32x32", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return result.json()


def blocks(doc):
    return [row for row in doc["items"] if row["kind"] == "block"]


def check_against_peers(cli, doc, model, shape=SMALL, brute_shape=None):
    """Totals equal the model's own parameters (BN by the convention) and the closed-form
    mult-adds; every block's verdict and path range equal brute force; every spec pastes."""
    own = sum(p.numel() for p in model.parameters())
    assert doc["totals"]["params"] == own - (0 if doc["bn"] else bn_params(model))
    assert doc["totals"]["model_params"] == own
    assert doc["totals"]["mult_adds"] == closed_form_mult_adds(model, shape)
    seen = set()
    ones = linearised(model)
    for row in blocks(doc):
        if (row["spec"], row["hw"]) in seen:  # the same block again: its first instance was checked
            continue
        cin = int(row["spec"].split("W=")[1].split("/")[0].split(",")[0])
        try:
            paths = block_paths(ones, row["convs"][0], row["convs"][-1], cin, brute_shape or shape)
        except RuntimeError:  # a block after a fixed-size pool (a 1×1 conv classifier) needs the real input
            paths = block_paths(ones, row["convs"][0], row["convs"][-1], cin, shape)
        assert verdict(paths) == row["verdict"], row["spec"]
        assert (int(paths.min()), int(paths.max())) == (row["paths_min"], row["paths_max"]), row["spec"]
        seen.add((row["spec"], row["hw"]))
        checked = cli("check", row["spec"], "--json")
        assert checked.exit_code in (0, 1) and checked.json()["verdict"] == row["verdict"]
        if row["maps_as_grammar"]:
            counted = cli("count", row["spec"], "--hw", str(row["hw"]), "--json").json()
            assert (counted["params"], counted["mult_adds"], counted["mem_access"]) == (
                row["params"], row["mult_adds"], row["mem_access"]), row["spec"]


@pytest.mark.parametrize("name", ["shufflenet_v1_like", "shufflenet_v2_like", "resnext_like", "mobilenet_v2_like",
                                  "igcv3_like", "index_select_net", "einops_style_net"])
def test_blocks_match_brute_force_and_totals_match_the_model(cli, name):
    doc = inspect_json(cli, name)
    check_against_peers(cli, doc, getattr(models, name)().eval())


def test_bn_flag_counts_bn(cli):
    with_bn = inspect_json(cli, "mobilenet_v2_like", "--bn")
    assert with_bn["totals"]["params"] == sum(p.numel() for p in models.mobilenet_v2_like().parameters())
    assert all(row["bn_params"] > 0 for row in blocks(with_bn))


def test_shufflenet_v1_unit_is_one_block_with_its_shuffle(cli):
    specs = [row["spec"] for row in blocks(inspect_json(cli, "shufflenet_v1_like"))]
    # the stride-1 unit: 1×1 (3 groups) → 12, shuffle with 3 groups (the interleave), dw 3×3, 1×1 (3 groups)
    assert "chain:W=48/12/12/48,G=3/12/3,k=1/3/1,P=s/i" in specs
    assert "chain:W=24/12/12/24,G=3/12/3,k=1/3/1,s=1/2/1,P=s/i" in specs


def test_shufflenet_v2_shuffle_after_the_concat_stands_alone(cli):
    doc = inspect_json(cli, "shufflenet_v2_like")
    lone = [row for row in doc["items"] if row["kind"] == "permutation"]
    assert [(row["width"], row["groups"]) for row in lone] == [(16, 2), (16, 2)]
    assert all(row["mem_access"] == 2 * 16 * 32 * 32 for row in lone)  # 2·H·W·C
    assert doc["not_costed"]["chunk"] == 2 and doc["not_costed"]["cat"] == 2


def test_index_select_and_slice_concat_permutations_are_recovered(cli):
    (row,) = blocks(inspect_json(cli, "index_select_net"))
    assert row["spec"] == "chain:W=3/8/8/8,G=1/2/2,k=3/1/1,P=i/7.0-6"
    assert row["bias_params"] == 8
    (row,) = blocks(inspect_json(cli, "einops_style_net"))
    # rearrange('b (g c) h w -> b (c g) h w', g=3) is the shuffle with 3 groups (= the first conv's groups)
    assert row["spec"] == "chain:W=3/12/12/12,G=3/4/2,k=1/3/1,P=s/6-11.0-5"


def test_export_fallback_where_fx_fails(cli):
    doc = inspect_json(cli, "shape_branch_net")
    assert doc["tracer"] == "torch.export" and "torch.fx" in doc["tracer_note"]
    (row,) = blocks(doc)
    assert row["spec"] == "chain:W=3/8/8,G=1/2,k=3/1,P=2"
    check_against_peers(cli, doc, models.shape_branch_net().eval())


def test_export_file_is_inspected(cli, tmp_path):
    model = models.shufflenet_v2_like().eval()
    path = tmp_path / "net.pt2"
    torch.export.save(torch.export.export(model, (torch.zeros(SMALL),)), str(path))
    result = cli("inspect", str(path), "--json")  # the shape it was exported with
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    fx_doc = inspect_json(cli, "shufflenet_v2_like")
    assert [r["spec"] for r in blocks(doc)] == [r["spec"] for r in blocks(fx_doc)]
    assert doc["totals"]["params"] == fx_doc["totals"]["params"]
    assert doc["totals"]["mult_adds"] == fx_doc["totals"]["mult_adds"]


def test_what_is_not_followed_is_listed_and_counted(cli):
    doc = inspect_json(cli, "dilated_net")
    model = models.dilated_net()
    assert doc["totals"]["params"] == sum(p.numel() for p in model.parameters())
    assert [row["kind"] for row in doc["items"]] == ["conv", "conv"]
    assert "dilation" in doc["items"][0]["reason"] and "not square" in doc["items"][1]["reason"]
    whats = " ".join(entry["what"] for entry in doc["not_followed"])
    assert "GroupNorm" in whats and "unused.weight" in whats
    assert doc["totals"]["mult_adds"] == closed_form_mult_adds(model, SMALL)


def test_text_report_names_blocks_and_totals(cli):
    result = cli("inspect", f"{MODELS}:igcv3_like", "--input", "1x3x32x32")
    assert result.exit_code == 0, result.stderr
    assert "chain:W=24/144/144/24,G=2/144/2,k=1/3/1,P=s/i" in result.stdout
    assert "total" in result.stdout and "BN not counted" in result.stdout


def test_user_prints_go_to_stderr(cli):
    doc = inspect_json(cli, "chatty")  # stdout parsed as one JSON document
    assert doc["totals"]["blocks"] >= 1


@pytest.mark.parametrize("target, message", [
    ("nocolon", "expected MODULE:CALLABLE"),
    ("no_such_module_xyz:f", "cannot import no_such_module_xyz"),
    ("os:getcwd", "returned str, not a torch.nn.Module"),
    ("os:sep", "is not callable"),
    ("json:no_such_attr", "no attribute"),
    ("missing_file.py:f", "model file missing_file.py"),
    ("m.py:1bad", "not a Python name"),
])
def test_bad_targets_are_one_line_errors(cli, target, message):
    result = cli("inspect", target)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, message", [
    ("raises", "raises() raised: RuntimeError: no weights here"),
    ("not_a_module", "returned list"),
    ("data_branch_net", "cannot trace the model"),
])
def test_bad_models_are_one_line_errors(cli, name, message):
    result = cli("inspect", f"{MODELS}:{name}", "--input", "1x3x8x8")
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_import_errors_are_one_line(cli, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import sys\nraise SystemExit(3)\n")
    result = cli("inspect", f"{broken}:f")
    assert result.exit_code == 2 and "cannot import" in result.stderr and "SystemExit" in result.stderr
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def f(:\n")
    result = cli("inspect", f"{syntax}:f")
    assert result.exit_code == 2 and "SyntaxError" in result.stderr


@pytest.mark.parametrize("shape, message", [
    ("1x3x224", None), ("abc", "expected sides"), ("1x3x0x4", "between 1"), ("1x3x65537x1", "between 1"),
    ("65x64x128x128", "at most"), ("1", "expected sides"), ("1x2x3x4x5x6x7", "expected sides"),
])
def test_input_is_bounded_before_anything_runs(cli, shape, message):
    if message is None:
        return
    result = cli("inspect", "no_such_module_xyz:f", "--input", shape)
    assert result.exit_code == 2 and message in result.stderr


def test_help_warns_that_importing_runs_code(cli):
    result = cli("inspect", "--help")
    assert result.exit_code == 0
    assert "RUNS ITS CODE" in " ".join(result.stdout.split())


def test_igcdesign_help_does_not_import_torch():
    code = "import sys; from igcdesign.cli import main\ntry:\n main(['--help'])\nexcept SystemExit: pass\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_json_is_one_document(cli):
    result = cli("inspect", f"{MODELS}:resnext_like", "--input", "1x3x32x32", "--json")
    json.loads(result.stdout)


def test_library_inspect_is_the_command_document(cli):
    import igcdesign

    model = models.igcv3_like().eval()
    doc = igcdesign.inspect(model, input=SMALL)
    command = inspect_json(cli, "igcv3_like")
    assert [r["spec"] for r in blocks(doc)] == [r["spec"] for r in blocks(command)]
    assert doc["totals"] == command["totals"]
    with pytest.raises(igcdesign.IGCError, match="--input"):
        igcdesign.inspect(model, input=(1, 3, 0, 4))


class _PermutedPair(torch.nn.Module):
    """Two group convs with a permutation between them, written as a reshape/permute/reshape
    (a shuffle) or as an index_select, drawn by hypothesis."""

    def __init__(self, c, g1, g2, perm, shuffle):
        super().__init__()
        self.a = torch.nn.Conv2d(c, c, 3, padding=1, groups=g1, bias=False)
        self.b = torch.nn.Conv2d(c, c, 1, groups=g2, bias=False)
        self.shuffle = shuffle
        self.register_buffer("perm", torch.tensor(perm))

    def forward(self, x):
        x = self.a(x)
        if self.shuffle:
            n, c, h, w = x.shape
            x = x.reshape(n, self.shuffle, c // self.shuffle, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)
        else:
            x = x.index_select(1, self.perm)
        return self.b(x)


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def permuted_pairs(draw):
    c = draw(st.sampled_from([4, 6, 8, 12]))
    g1, g2 = draw(st.sampled_from(_divisors(c))), draw(st.sampled_from(_divisors(c)))
    shuffle = draw(st.sampled_from([0] + [d for d in _divisors(c) if 1 < d < c]))
    perm = draw(st.permutations(range(c)))
    return c, g1, g2, list(perm), shuffle


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=permuted_pairs())
def test_any_permutation_is_recovered_and_judged_as_brute_force(case):
    import igcdesign
    from igcdesign.layers import shuffle_index_map

    c, g1, g2, perm, shuffle = case
    model = _PermutedPair(c, g1, g2, perm, shuffle).eval()
    doc = igcdesign.inspect(model, input=(1, c, 6, 6))
    (row,) = blocks(doc)
    block = igcdesign.parse(row["spec"])
    permutes = [layer for layer in block.chain if layer.kind == "permute"]
    want = shuffle_index_map(c, shuffle) if shuffle else perm
    got = permutes[0].index_map() if permutes else list(range(c))
    assert got == list(want)
    paths = block_paths(linearised(model), "a", "b", c, (1, c, 6, 6))
    assert (verdict(paths), int(paths.min()), int(paths.max())) == (row["verdict"], row["paths_min"], row["paths_max"])
