"""Stage files whose blocks are unit specs (a split, a concat, a second path): ShuffleNet V2 1.0
and ShuffleNet V1 g=3 written as stage files count exactly as their presets (which
test_net_zoo holds to pytorchcv's builds, params and mult-adds), their torch builds have
pytorchcv's parameter count, and what a unit stage cannot take is refused in one line."""

from __future__ import annotations

import json

import pytest

from igcdesign.nets.counting import count_net
from test_net_zoo import pytorchcv_model

SHUFFLENET_V2_FILE = """\
name: shufflenet-v2-file
stem: {width: 24, k: 3, stride: 2, pool: {kind: max, k: 3, stride: 2, padding: 0, ceil_mode: true}}
stages:
  - {block: shufflenetv2-unit, repeats: 4, stride: 2, width: 116}
  - {block: shufflenetv2-unit, repeats: 8, stride: 2, width: 232}
  - {block: shufflenetv2-unit, repeats: 4, stride: 2, width: 464}
head: {width: 1024}
"""

# pytorchcv's first unit has one group in its first conv (ignore_group): g1=1
SHUFFLENET_V1_FILE = """\
name: shufflenet-v1-file
stem: {width: 24, k: 3, stride: 2, pool: max}
stages:
  - {block: "shufflenetv1-unit:g=3,g1=1", stride: 2, width: 240}
  - {block: "shufflenetv1-unit:g=3", repeats: 3, width: 240}
  - {block: "shufflenetv1-unit:g=3", repeats: 8, stride: 2, width: 480}
  - {block: "shufflenetv1-unit:g=3", repeats: 4, stride: 2, width: 960}
"""

FILES = [
    ("shufflenet_v2:w=1.0", SHUFFLENET_V2_FILE, "shufflenetv2", "shufflenetv2_w1"),
    ("shufflenet_v1:g=3", SHUFFLENET_V1_FILE, "shufflenet", "shufflenet_g3_w1"),
]


def written(tmp_path, text: str, name: str = "net.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("preset,text,_module,_builder", FILES, ids=[f[0] for f in FILES])
@pytest.mark.parametrize("bn", [False, True])
@pytest.mark.parametrize("resolution", [224, 96])
def test_the_shufflenets_as_stage_files_count_as_their_presets(tmp_path, preset, text, _module, _builder, bn,
                                                                resolution):
    a = count_net(written(tmp_path, text), bn=bn, resolution=resolution)
    b = count_net(preset, bn=bn, resolution=resolution)
    assert (a.params, a.mult_adds, a.mem_access) == (b.params, b.mult_adds, b.mem_access)
    assert [s.width for s in a.stages][-2:] == [s.width for s in b.stages][-2:]


def test_the_first_units_groups_matter(tmp_path):
    """Without g1=1 the network's first unit groups its first conv (24 → 60 with 3 groups):
    two thirds of its 24·60 weights fewer, so g1 is what makes the file pytorchcv's."""
    plain = written(tmp_path, SHUFFLENET_V1_FILE.replace(",g1=1", ""), "plain.yaml")
    assert count_net("shufflenet_v1:g=3").params - count_net(plain).params == 24 * 60 - 24 * 60 // 3


@pytest.mark.parametrize("preset,text,module,builder", FILES, ids=[f[0] for f in FILES])
def test_stage_file_torch_builds_have_pytorchcvs_params(tmp_path, preset, text, module, builder):
    torch = pytest.importorskip("torch")
    from igcdesign.probe.networks import build_torch_net

    model = build_torch_net(written(tmp_path, text), bn=True, resolution=64)
    peer = pytorchcv_model(module, builder)
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in peer.parameters())
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_net_json_of_a_unit_stage_file(cli, tmp_path):
    path = written(tmp_path, SHUFFLENET_V2_FILE)
    result = cli("net", path, "--json", "--bn")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["params"] == 2_278_604  # torchvision's published count for ShuffleNet V2 1.0 (test_net_zoo)
    assert [(s["name"], s["blocks"], s["width"]) for s in doc["stages"]] == [
        ("stem", 1, 24), ("stage 1", 4, 116), ("stage 2", 8, 232), ("stage 3", 4, 464), ("head", 1, 1024),
        ("classifier", 1, 1000)]
    table = cli("net", path, "shufflenet_v2:w=1.0")
    assert table.exit_code == 0 and "1.00×" in table.stdout


def test_resnet_units_with_the_stage_stride_and_width(tmp_path):
    """resnet-unit stages: the stage's first unit takes its input width and stride (projection
    there), the rest keep C: the resnet18 preset, stage for stage."""
    text = "stem: {width: 64, k: 7, stride: 2, pool: max}\nstages:\n" + "".join(
        f"  - {{block: resnet-unit, repeats: 2, stride: {1 if c == 64 else 2}, width: {c}}}\n"
        for c in (64, 128, 256, 512))
    a, b = count_net(written(tmp_path, text), bn=True), count_net("resnet18", bn=True)
    assert [(s.params, s.mult_adds, s.mem_access) for s in a.stages] == [
        (s.params, s.mult_adds, s.mem_access) for s in b.stages]


@pytest.mark.parametrize("stage,words", [
    ('{block: "shufflenetv2-unit:C=116,s=2", stride: 2}', "give the stride as the stage's stride"),
    ('{block: "shufflenetv2-unit:C=116", width: 232, stride: 2}', "says C=116 but the stage width is 232"),
    ('{block: "shufflenetv2-unit:Cin=8,C=16", stride: 2}', "says Cin=8 but the stage receives 24 channels"),
    ("{block: shufflenetv2-unit}", "give the stage a width"),
    ("{block: shufflenetv2-unit, width: 48, shortcut: true}", "brings its own shortcut and BN (leave shortcut out)"),
    ("{block: resnet-unit, width: 48, norm: conv}", "leave norm out"),
    ("{block: shufflenetv2-unit, width: 48, stride: 4}", "a unit takes stride 1 or 2, got 4"),
    ("{block: shufflenetv2-unit, width: 48}", "stage 1 unit 1: shufflenetv2-unit: at s=1 the unit keeps its width"),
    ('{block: "shufflenetv2-unit:X=1", width: 48, stride: 2}', "unknown key 'X' for shufflenetv2-unit"),
    ("{block: shufflenetv2-unit, width: 4096, stride: 2}", "at most 2,048 in a unit spec"),
    ('{block: "shufflenetv1-unit:g=3,g1=5", width: 240, stride: 2}', "groups"),
    ("{block: shufflenetv2-unit, width: 48, stride: 2, repeats: 5000}", "repeats must be between 1 and 4096"),
])
def test_bad_unit_stages_are_one_line_errors(cli, tmp_path, stage, words):
    path = written(tmp_path, f"stem: {{width: 24, k: 3}}\nstages:\n  - {stage}\n", "bad.yaml")
    result = cli("net", path, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines


@pytest.mark.parametrize("pool,words", [
    ("min", "stem pool must be max or avg, or a mapping"),
    ("{kind: min}", "stem pool kind must be max or avg"),
    ("{kind: max, k: 3, padding: 2}", "stem pool padding must be between 0 and 1"),
    ("{kind: max, ceil_mode: 1}", "stem pool ceil_mode must be true or false"),
    ("{kind: max, size: 3}", "unknown key 'size'"),
    ("{kind: avg, k: 65}", "stem pool k must be between 1 and 63"),
])
def test_bad_stem_pools_are_one_line_errors(cli, tmp_path, pool, words):
    path = written(tmp_path, f'stem: {{width: 8, pool: {pool}}}\nstages:\n  - {{block: "regular:C=8"}}\n', "bad.yaml")
    result = cli("net", path, "--json")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines


def test_a_pool_mapping_sets_the_stems_output_side(tmp_path):
    """A 3×3 max pool, stride 2, no padding maps 30 to ⌈27/2⌉ + 1 = 15 in ceil mode (torch's
    rule) and to ⌊27/2⌋ + 1 = 14 without."""
    base = 'resolution: 30\nstem: {{width: 8, k: 3, pool: {pool}}}\nstages:\n  - {{block: "regular:C=8"}}\n'
    ceil = written(tmp_path, base.format(pool="{kind: max, padding: 0, ceil_mode: true}"), "ceil.yaml")
    floor = written(tmp_path, base.format(pool="{kind: max, padding: 0}"), "floor.yaml")
    assert count_net(ceil).stages[0].resolution == 15
    assert count_net(floor).stages[0].resolution == 14


def test_g1_sets_the_first_convs_groups_of_a_shufflenet_v1_unit():
    """shufflenetv1-unit 24 → 240, g=3, g1=1, s=2: 1×1 conv 24 → 60 (one group), 3×3 channel-wise
    on 60, 1×1 conv 60 → 240 − 24 with 3 groups: 24·60 + 60·9 + 60·216/3 weights."""
    from igcdesign.nets.unitspecs import parse_unit

    spec, unit = parse_unit("shufflenetv1-unit:Cin=24,C=240,g=3,g1=1,s=2")
    assert spec == "shufflenetv1-unit:Cin=24,C=240,g=3,g1=1,s=2"
    assert sum(conv.params() for conv in unit.convs) == 24 * 60 + 60 * 9 + 60 * 216 // 3
    assert parse_unit("shufflenetv1-unit:C=240,g=3,g1=3")[0] == "shufflenetv1-unit:C=240,g=3"


def test_the_docs_stage_files_are_the_ones_tested():
    """docs/networks.md shows both ShuffleNets as stage files: the same documents as above (the
    IGCV3 one after them: tests/test_igcify_stages_inverted.py)."""
    import re
    from pathlib import Path

    import yaml

    text = (Path(__file__).resolve().parents[1] / "docs" / "networks.md").read_text()
    section = text[text.index("## These networks as stage files"):]
    shown = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    expected = [yaml.safe_load(t) for t in (SHUFFLENET_V2_FILE, SHUFFLENET_V1_FILE)]
    for doc in expected:
        del doc["name"]
    assert shown[:2] == expected
