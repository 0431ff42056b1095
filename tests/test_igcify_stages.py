"""`igcify --out-stages FILE.yaml`: the new model as a stage file that `net` reads.

Conventions of the comparison: `inspect`'s totals and `net`'s default both count conv weights
and the FC's weights and bias, no BN (`net --bn` adds BN γ and β, so it is the model's own
parameter count); mult-adds are each conv's weights × its output positions plus the FC's
weights in both. The peers: torch's own parameter count of the exported model, and for
pytorchcv's ResNet-18 the resnet18 preset (which test_net_zoo holds to pytorchcv's build).
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import inspect_models as models  # noqa: E402

from igcdesign.nets.counting import count_net  # noqa: E402
from igcdesign.probe import examples  # noqa: E402

TINY = "igcdesign.probe.examples:resnet_tiny"
MODELS = Path(models.__file__)


def test_igcified_resnet_as_a_stage_file_counts_as_inspect(cli, tmp_path):
    stages, pt2 = tmp_path / "new.yaml", tmp_path / "new.pt2"
    result = cli("igcify", TINY, "--input", "1x3x32x32", "--json", "--out", str(pt2), "--out-stages", str(stages))
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["out_stages"] == str(stages) and sorted(p.name for p in tmp_path.iterdir()) == ["new.pt2", "new.yaml"]
    counted = cli("net", str(stages), "--json").json()
    after = doc["after"]
    assert (counted["params"], counted["mult_adds"], counted["mem_access"]) == (
        after["params"], after["mult_adds"], after["mem_access"])
    module = torch.export.load(str(pt2)).module()
    assert cli("net", str(stages), "--bn", "--json").json()["params"] == sum(p.numel() for p in module.parameters())
    assert counted["resolution"] == 32 and counted["classes"] == 10


def test_the_stage_files_torch_build_is_the_igcified_models_shape(tmp_path):
    """The stage file's own torch build: the model's parameter count (BN included) and its output."""
    from igcdesign.probe.igcify import igcify_model, stage_file_text
    from igcdesign.probe.networks import build_torch_net

    result = igcify_model(examples.resnet_tiny().eval(), (1, 3, 32, 32), family="igcv1")
    path = tmp_path / "new.json"
    path.write_text(stage_file_text(result, (1, 3, 32, 32), ".json", "tiny"))
    built = build_torch_net(str(path), bn=True)
    assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in result.model.parameters())
    with torch.no_grad():
        assert built(torch.zeros(2, 3, 32, 32)).shape == result.model(torch.zeros(2, 3, 32, 32)).shape


def pooled_resnet() -> nn.Module:
    """A ResNet with a max pool after its stem (which igcify replaces by a block: the pool then
    follows a stage)."""
    return nn.Sequential(examples._conv_bn(3, 16, 3), nn.MaxPool2d(3, 2, 1), examples.BasicBlock(16, 16),
                         examples.BasicBlock(16, 32, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def test_a_pool_after_a_replaced_stem(tmp_path):
    import yaml

    from igcdesign.probe.igcify import igcify_model, stage_file_text

    result = igcify_model(pooled_resnet().eval(), (1, 3, 32, 32), family="igcv3")
    text = stage_file_text(result, (1, 3, 32, 32), ".yaml", "pooled")
    doc = yaml.safe_load(text)
    assert "stem" not in doc and doc["stages"][0]["pool"] == {"kind": "max", "k": 3, "stride": 2, "padding": 1,
                                                                "ceil_mode": False}
    path = tmp_path / "pooled.yaml"
    path.write_text(text)
    counted = count_net(str(path))
    assert (counted.params, counted.mult_adds) == (result.after["totals"]["params"], result.after["totals"]["mult_adds"])
    assert [s.resolution for s in counted.stages[:-1]] == [16, 16, 8]  # 32 → pool → 16 → stride 2 → 8


@pytest.mark.parametrize("module,builder,preset", [("resnet", "resnet18", "resnet18"),
                                                   ("resnext", "resnext50_32x4d", "resnext50_32x4d")])
def test_pytorchcv_resnets_as_stage_files_are_the_presets(module, builder, preset):
    from igcdesign.nets.userfile import network_from_document
    from igcdesign.probe.inspect.stagefile import stage_document
    from test_net_zoo import pytorchcv_model

    doc, _ = stage_document(pytorchcv_model(module, builder), (1, 3, 224, 224), builder)
    assert doc["stem"] == {"width": 64, "k": 7, "stride": 2,
                           "pool": {"kind": "max", "k": 3, "stride": 2, "padding": 1, "ceil_mode": False}}
    strides = [s.get("stride", 1) for s in doc["stages"] for _ in range(s.get("repeats", 1))]
    assert strides == ([1, 1, 2, 1, 2, 1, 2, 1] if preset == "resnet18" else [1] * 3 + [2] + [1] * 3 + [2] + [1] * 5
                       + [2] + [1] * 2)
    for bn in (False, True):
        a = count_net(network_from_document(doc, builder), bn=bn)
        b = count_net(preset, bn=bn)
        assert (a.params, a.mult_adds, a.mem_access) == (b.params, b.mult_adds, b.mem_access)


SHUFFLENET_STAGES = {
    # pytorchcv's ShuffleNet V2 1.0 and V1 g=3 (docs/networks.md): 4, 8, 4 units a stage, the first
    # down-sampling; V1's network-first unit has one group in its first conv
    "shufflenetv2_w1": [{"block": "shufflenetv2-unit", "stride": 2, "width": 116, "repeats": 4},
                        {"block": "shufflenetv2-unit", "stride": 2, "width": 232, "repeats": 8},
                        {"block": "shufflenetv2-unit", "stride": 2, "width": 464, "repeats": 4},
                        {"block": "chain:W=464/1024,G=1,k=1", "norm": "conv"}],
    "shufflenet_g3_w1": [{"block": "shufflenetv1-unit:g=3,g1=1", "stride": 2, "width": 240},
                         {"block": "shufflenetv1-unit:g=3", "width": 240, "repeats": 3},
                         {"block": "shufflenetv1-unit:g=3", "stride": 2, "width": 480, "repeats": 8},
                         {"block": "shufflenetv1-unit:g=3", "stride": 2, "width": 960, "repeats": 4}],
}


@pytest.mark.parametrize("module,builder,preset", [("shufflenetv2", "shufflenetv2_w1", "shufflenet_v2:w=1.0"),
                                                   ("shufflenet", "shufflenet_g3_w1", "shufflenet_v1:g=3")])
def test_pytorchcv_shufflenets_as_stage_files_of_units_are_the_presets(module, builder, preset):
    """Split, concat, shuffle and the average-pool path recognised as the unit specs."""
    from igcdesign.nets.userfile import network_from_document
    from igcdesign.probe.inspect.stagefile import stage_document
    from test_net_zoo import pytorchcv_model

    doc, _ = stage_document(pytorchcv_model(module, builder), (1, 3, 224, 224), builder)
    assert doc["stages"] == SHUFFLENET_STAGES[builder]
    for bn in (False, True):
        a = count_net(network_from_document(doc, builder), bn=bn)
        b = count_net(preset, bn=bn)
        assert (a.params, a.mult_adds, a.mem_access) == (b.params, b.mult_adds, b.mem_access)


def test_igcified_shufflenet_v2_as_a_stage_file_counts_as_inspect(cli, tmp_path):
    stages = tmp_path / "new.yaml"
    doc = cli("igcify", "igcdesign.probe.examples:shufflenet_v2_tiny", "--input", "1x3x32x32", "--json",
              "--out-stages", str(stages)).json()
    counted = cli("net", str(stages), "--json").json()
    assert (counted["params"], counted["mult_adds"], counted["mem_access"]) == (
        doc["after"]["params"], doc["after"]["mult_adds"], doc["after"]["mem_access"])
    import yaml

    assert yaml.safe_load(stages.read_text())["stages"][1] == {"block": "shufflenetv2-unit", "width": 48, "repeats": 2}


def test_resnet50s_stride_on_its_first_1x1_conv_is_named():
    """pytorchcv's resnet50 strides its bottleneck's first 1×1 conv; a stage file strides the 3×3."""
    from igcdesign.probe.inspect.stagefile import NotExpressible, stage_document
    from test_net_zoo import pytorchcv_model

    with pytest.raises(NotExpressible, match="a stride on conv features.stage2.unit1.body.conv1.conv"):
        stage_document(pytorchcv_model("resnet", "resnet50"), (1, 3, 224, 224), "r50")


@pytest.mark.parametrize("model,words", [
    (f"{MODELS}:small_resnet", "has a bias (a stage file's convs have none)"),
    (f"{MODELS}:einops_style_net", "a conv with no BN after it"),
    (f"{MODELS}:shape_branch_net", "a channel permutation after the last BN of a block"),
    (f"{MODELS}:dilated_net", "dilation (2, 2)"),
])
def test_a_model_a_stage_file_cannot_hold_writes_nothing(cli, tmp_path, model, words):
    stages, pt2 = tmp_path / "new.yaml", tmp_path / "new.pt2"
    result = cli("igcify", model, "--input", "1x3x32x32", "--out", str(pt2), "--out-stages", str(stages), "--json")
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_bad_out_stages_is_refused_before_any_work(cli, tmp_path):
    result = cli("igcify", TINY, "--input", "1x3x32x32", "--out-stages", str(tmp_path / "net.txt"))
    assert result.exit_code == 2 and "--out-stages" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = cli("igcify", TINY, "--input", "1x3x32x32", "--out-stages", str(tmp_path / "no" / "net.yaml"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_text_report_names_the_stage_file(cli, tmp_path):
    stages = tmp_path / "new.yml"
    result = cli("igcify", TINY, "--input", "1x3x32x32", "--out-stages", str(stages))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {stages}" in result.stdout.replace("\n", "")


TINY_PARAMS = 3 * 32 * 9 + 2 * 32 * 32 * 9 + 32 * 64 * 9 + 64 * 64 * 9 + 32 * 64 + 64 * 10 + 10
TINY_MULT_ADDS = ((3 * 32 * 9 + 2 * 32 * 32 * 9) * 32 * 32 + (32 * 64 * 9 + 64 * 64 * 9 + 32 * 64) * 16 * 16
                  + 64 * 10)


@pytest.mark.parametrize("exported", [False, True], ids=["fx", "torch.export"])
def test_resnet_tiny_as_a_stage_file_by_hand(exported):
    """resnet_tiny (examples.py): a 3×3 stem 3 → 32, a basic block at 32, a down-sampling one to
    64 with a projection; its weights and mult-adds in closed form (32×32 maps, then 16×16).
    The torch.export graph (aten ops, BN as a tuple) gives the same file."""
    from igcdesign.nets.userfile import network_from_document
    from igcdesign.probe.inspect.stagefile import stage_document

    model = examples.resnet_tiny().eval()
    if exported:
        model = torch.export.export(model, (torch.zeros(1, 3, 32, 32),), strict=False).module()
    doc, _ = stage_document(model, (1, 3, 32, 32), "tiny")
    assert doc == {
        "name": "tiny", "resolution": 32, "classes": 10, "in_channels": 3, "stem": {"width": 32, "k": 3, "stride": 1},
        "stages": [{"block": "chain:W=32/32/32,G=1/1,k=3/3,P=i", "shortcut": True, "norm": "conv"},
                   {"block": "chain:W=32/64/64,G=1/1,k=3/3,P=i", "stride": 2, "shortcut": "projection", "norm": "conv"}]}
    counted = count_net(network_from_document(doc, "tiny"))
    assert (counted.params, counted.mult_adds) == (TINY_PARAMS, TINY_MULT_ADDS)


@pytest.mark.parametrize("suffix,bn", [(".json", False), (".yaml", True)])
def test_inspect_writes_the_traced_model_as_a_stage_file(cli, tmp_path, suffix, bn):
    """inspect --out-stages: the model as it is (ShuffleNet V2 units, a 1×1 head); net counts
    inspect's totals (BN as --bn says both times)."""
    stages = tmp_path / f"tiny{suffix}"
    extra = ("--bn",) if bn else ()
    doc = cli("inspect", "igcdesign.probe.examples:shufflenet_v2_tiny", "--input", "1x3x32x32", "--json",
              "--out-stages", str(stages), *extra).json()
    assert doc["out_stages"] == str(stages)
    counted = cli("net", str(stages), "--json", *extra).json()
    totals = doc["totals"]
    assert (counted["params"], counted["mult_adds"], counted["mem_access"]) == (
        totals["params"], totals["mult_adds"], totals["mem_access"])
    assert cli("net", str(stages), "--bn", "--json").json()["params"] == totals["model_params"]


def test_inspect_of_a_model_a_stage_file_cannot_hold_writes_nothing(cli, tmp_path):
    result = cli("inspect", f"{MODELS}:small_resnet", "--input", "1x3x32x32", "--out-stages",
                 str(tmp_path / "m.yaml"))
    assert result.exit_code == 2 and result.stdout == "" and "has a bias" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []
