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


@pytest.mark.parametrize("bn", [False, True])
def test_pytorchcv_resnet18_as_a_stage_file_is_the_preset(bn):
    from igcdesign.nets.userfile import network_from_document
    from igcdesign.probe.inspect.stagefile import stage_document
    from test_net_zoo import pytorchcv_model

    doc, _ = stage_document(pytorchcv_model("resnet", "resnet18"), (1, 3, 224, 224), "r18")
    assert doc["stem"] == {"width": 64, "k": 7, "stride": 2,
                           "pool": {"kind": "max", "k": 3, "stride": 2, "padding": 1, "ceil_mode": False}}
    assert [(s.get("stride", 1), s["shortcut"], s.get("repeats", 1)) for s in doc["stages"]] == [
        (1, True, 2), (2, "projection", 1), (1, True, 1), (2, "projection", 1), (1, True, 1), (2, "projection", 1),
        (1, True, 1)]
    a = count_net(network_from_document(doc, "r18"), bn=bn)
    b = count_net("resnet18", bn=bn)
    assert (a.params, a.mult_adds, a.mem_access) == (b.params, b.mult_adds, b.mem_access)


@pytest.mark.parametrize("model,words", [
    (f"{MODELS}:small_resnet", "has a bias (a stage file's convs have none)"),
    ("igcdesign.probe.examples:shufflenet_v2_tiny", "chunk"),
    (f"{MODELS}:mobilenet_v2_like", "ReLU6"),
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
