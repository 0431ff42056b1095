"""Stage files of inverted residual networks (MobileNetV2, IGCV3): ReLU6, the igcv3 and
mobilenetv2 blocks, a stem with ReLU6 and a classifier without a bias.

The peers: the presets ``igcv3-imagenet`` and ``mobilenetv2`` (test_net_zoo and the preset tests
hold them to their references), with pytorchcv's departures from them in closed form; torch's own
parameter count of each model; `inspect`'s totals, which test_inspect_zoo holds to each conv's
closed form.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import inspect_models as models  # noqa: E402

from igcdesign.nets.counting import count_net  # noqa: E402
from igcdesign.nets.userfile import network_from_document  # noqa: E402

MODELS = Path(models.__file__)


@pytest.fixture(scope="module")
def documents():
    """pytorchcv's igcv3_w1 and mobilenetv2_w1 written as stage documents (one trace each)."""
    from igcdesign.probe.inspect.stagefile import stage_document
    from test_net_zoo import pytorchcv_model

    out = {}
    for module, builder in (("igcv3", "igcv3_w1"), ("mobilenetv2", "mobilenetv2_w1")):
        model = pytorchcv_model(module, builder)
        doc, report = stage_document(model, (1, 3, 224, 224), builder)
        out[builder] = doc, report, model
    return out


def counts(net, bn):
    counted = count_net(net, bn=bn)
    return counted.params, counted.mult_adds, counted.mem_access


def test_pytorchcv_igcv3_is_the_igcv3_imagenet_preset(documents):
    """pytorchcv's IGCV3-D: the official layout (t = 1 first block, G1 = G2 = 2, the shuffle after
    the expansion, ReLU6 after the channel-wise conv only), so the file counts as the preset."""
    doc, report, model = documents["igcv3_w1"]
    assert doc["stem"] == {"width": 32, "k": 3, "stride": 2, "act": "relu6"}
    assert doc["stages"][0] == {"block": "igcv3:t=1,G1=2,G2=2", "width": 16, "shortcut": True}
    assert [s.get("repeats", 1) for s in doc["stages"]] == [1, 4, 6, 8, 6, 6, 1, 1]
    assert doc["stages"][-1] == {"block": "chain:W=320/1280,G=1,k=1", "norm": "conv", "act": "relu6"}
    net = network_from_document(doc, "igcv3_w1")
    for bn in (False, True):
        assert counts(net, bn) == counts("igcv3-imagenet", bn)
    assert counts(net, True)[0] == sum(p.numel() for p in model.parameters())
    totals = report["totals"]
    assert counts(net, False) == (totals["params"], totals["mult_adds"], totals["mem_access"])
    import re

    import yaml

    text = (Path(__file__).resolve().parents[1] / "docs" / "networks.md").read_text()
    shown = re.findall(r"```yaml\n(.*?)```", text[text.index("## These networks as stage files"):], re.S)
    assert yaml.safe_load(shown[2]) == {"stem": doc["stem"], "stages": doc["stages"]}  # as docs/networks.md shows it


def test_pytorchcv_mobilenetv2_is_the_preset_with_its_two_departures(documents):
    """pytorchcv's MobileNetV2 keeps a 1×1 expansion conv (32 → 32, BN, ReLU6, on the 112×112 map)
    in its t = 1 block, where torchvision's (the preset) has none, and its classifier is a 1×1
    conv without a bias."""
    doc, report, model = documents["mobilenetv2_w1"]
    assert doc["fc_bias"] is False and doc["stem"]["act"] == "relu6"
    assert doc["stages"][0] == {"block": "mobilenetv2:t=1", "width": 16, "shortcut": True}
    assert doc["stages"][1] == {"block": "mobilenetv2:t=6", "stride": 2, "width": 24, "shortcut": True, "repeats": 2}
    net = network_from_document(doc, "mobilenetv2_w1")
    expand, side, bias = 32 * 32, 112 * 112, 1000
    p, m, a = counts("mobilenetv2", False)
    assert counts(net, False) == (p + expand - bias, m + expand * side, a + 2 * 32 * side + expand - bias)
    assert counts(net, True)[0] == counts("mobilenetv2", True)[0] + expand + 2 * 32 - bias
    assert counts(net, True)[0] == sum(p.numel() for p in model.parameters())
    totals = report["totals"]
    assert counts(net, False) == (totals["params"], totals["mult_adds"], totals["mem_access"])


def test_the_stage_files_torch_build_has_the_models_parameters(documents, tmp_path):
    """ReLU6, the stem's act and fc_bias reach the torch build: BN included, it holds as many
    parameters as pytorchcv's model, and the classifier has no bias."""
    from igcdesign.probe.inspect.stagefile import stage_text
    from igcdesign.probe.networks import build_torch_net

    doc, _, model = documents["mobilenetv2_w1"]
    path = tmp_path / "m.yaml"
    path.write_text(stage_text(doc, ".yaml"))
    built = build_torch_net(str(path), bn=True, resolution=32)
    assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in model.parameters())
    assert built.classifier.bias is None
    assert sum(isinstance(m, torch.nn.ReLU6) for m in built.modules()) == sum(
        isinstance(m, torch.nn.ReLU6) for m in model.modules())


def igcv3_tiny() -> torch.nn.Module:
    """IGCV3 as the paper and pytorchcv lay it out (no activation after the grouped expansion,
    a shuffle after it), a 3×3 stem with ReLU6, for 32×32 inputs."""
    from torch import nn

    class Unit(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            mid = 6 * cin
            self.expand = models.conv_bn(cin, mid, 1, groups=2, act=None)
            self.dw = models.conv_bn(mid, mid, 3, stride, groups=mid, act=nn.ReLU6)
            self.reduce = models.conv_bn(mid, cout, 1, groups=2, act=None)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = self.reduce(self.dw(models.shuffle_view(self.expand(x), 2)))
            return y + x if self.residual else y

    return nn.Sequential(models.conv_bn(3, 16, 3, 2, act=nn.ReLU6), Unit(16, 24, 2), Unit(24, 24, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10))


@pytest.mark.parametrize("factory,extra", [(f"{MODELS}:mobilenet_v2_like", ()), (f"{Path(__file__)}:igcv3_tiny", ()),
                                           (f"{MODELS}:mobilenet_v2_like", ("--1x1",))],
                         ids=["mobilenetv2", "igcv3", "mobilenetv2-1x1"])
def test_igcified_inverted_residual_models_as_stage_files(cli, tmp_path, factory, extra):
    """igcify replaces the dense 3×3 stem (BN and ReLU6 after it: a chain stage with act: relu6);
    the inverted residual units stay igcv3 / mobilenetv2 blocks, or with --1x1 (IGC blocks in place
    of their 1×1 convs) chain stages with an act list. net counts igcify's after totals, and with
    --bn the exported model's own parameters."""
    stages, pt2 = tmp_path / "new.yaml", tmp_path / "new.pt2"
    result = cli("igcify", factory, "--input", "1x3x32x32", "--family", "igcv3", "--json",
                 "--out", str(pt2), "--out-stages", str(stages), *extra)
    assert result.exit_code == 0, result.stderr
    after = result.json()["after"]
    counted = cli("net", str(stages), "--json").json()
    assert (counted["params"], counted["mult_adds"], counted["mem_access"]) == (
        after["params"], after["mult_adds"], after["mem_access"])
    module = torch.export.load(str(pt2)).module()
    assert cli("net", str(stages), "--bn", "--json").json()["params"] == sum(p.numel() for p in module.parameters())
    import yaml

    doc = yaml.safe_load(stages.read_text())
    assert "stem" not in doc and doc["stages"][0]["act"] == "relu6" and doc["stages"][0]["stride"] == 2
    if extra:
        assert [entry["act"] for entry in doc["stages"][1:]] == [["relu6", "relu6", "none"]] * 2
        return
    family = "mobilenetv2:t=6" if "mobilenet" in factory else "igcv3:t=6,G1=2,G2=2"
    assert doc["stages"][1:] == [{"block": family, "stride": 2, "width": 24, "shortcut": True, "repeats": 2}]


def test_inspect_writes_an_inverted_residual_model(cli, tmp_path):
    """The model as it is: a 3×3 stem with ReLU6, two units (the second with the identity added),
    dropout before the FC. Weights in closed form: 3·16·9; 16·96 + 96·9 + 96·24; 24·144 + 144·9 +
    144·24; FC 24·10 + 10."""
    stages = tmp_path / "m.yaml"
    doc = cli("inspect", f"{MODELS}:mobilenet_v2_like", "--input", "1x3x32x32", "--json",
              "--out-stages", str(stages)).json()
    counted = cli("net", str(stages), "--json").json()
    params = 3 * 16 * 9 + 16 * 96 + 96 * 9 + 96 * 24 + 24 * 144 + 144 * 9 + 144 * 24 + 24 * 10 + 10
    assert counted["params"] == doc["totals"]["params"] == params
    assert (counted["mult_adds"], counted["mem_access"]) == (doc["totals"]["mult_adds"], doc["totals"]["mem_access"])


def test_stage_file_acts_are_validated(tmp_path):
    from igcdesign.errors import SpecError

    base = {"stages": [{"block": "chain:W=3/8,G=1,k=3", "norm": "conv"}]}
    with pytest.raises(SpecError, match="stem act must be relu or relu6"):
        network_from_document({**base, "stem": {"width": 3, "act": "gelu"}}, "f")
    with pytest.raises(SpecError, match="stage 1 act must be relu or relu6"):
        network_from_document({"stages": [{"block": "chain:W=3/8,G=1,k=3", "act": 6}]}, "f")
    with pytest.raises(SpecError, match="have their own activations"):
        network_from_document({"stages": [{"block": "igcv3:t=6", "act": "relu6"}]}, "f")
    with pytest.raises(SpecError, match="leave act out"):
        network_from_document({"stages": [{"block": "shufflenetv2-unit", "width": 16, "act": "relu6"}]}, "f")
    with pytest.raises(SpecError, match="fc_bias must be true or false"):
        network_from_document({**base, "fc_bias": "no"}, "f")
    with pytest.raises(SpecError, match="head act must be relu or relu6"):
        network_from_document({**base, "head": {"width": 16, "act": "relu7"}}, "f")


def test_act_relu6_counts_as_relu_and_builds_relu6():
    """An activation costs nothing in the counts; the torch build has ReLU6 where the file says."""
    from igcdesign.probe.networks import build_torch_net

    doc = {"resolution": 8, "classes": 4, "stem": {"width": 8, "act": "relu6"},
           "stages": [{"block": "chain:W=8/8/8,G=1/1,k=3/3", "norm": "conv", "shortcut": True, "act": "relu6"}],
           "head": {"width": 16, "act": "relu6"}, "fc_bias": False}
    net = network_from_document(doc, "f")
    plain = network_from_document({k: v for k, v in doc.items() if k != "fc_bias"} | {
        "stem": {"width": 8}, "stages": [{**doc["stages"][0], "act": "relu"}], "head": {"width": 16}}, "f")
    params = 3 * 8 * 9 + 2 * 8 * 8 * 9 + 8 * 16 + 16 * 4
    assert count_net(net).params == params == count_net(plain).params - 4
    built = build_torch_net(net)
    assert sum(isinstance(m, torch.nn.ReLU6) for m in built.modules()) == 4  # stem, between, after the add, head
    assert not any(isinstance(m, torch.nn.ReLU) for m in built.modules())


def test_a_unit_no_family_holds_is_a_chain_stage_with_an_act_list(cli, tmp_path):
    """inspect_models.igcv3_like puts ReLU6 after its grouped expansion: neither the igcv3 block
    (none there) nor mobilenetv2 (dense 1×1 convs) has that unit, so it is a chain stage whose
    act lists the activation after each BN. Weights in closed form: 3·16·9; 16·96/2 + 96·9 +
    96·24/2; 24·144/2 + 144·9 + 144·24/2; FC 24·10 + 10."""
    stages = tmp_path / "m.yaml"
    doc = cli("inspect", f"{MODELS}:igcv3_like", "--input", "1x3x32x32", "--json", "--out-stages", str(stages)).json()
    import yaml

    written = yaml.safe_load(stages.read_text())["stages"]
    assert [entry["act"] for entry in written] == [["relu6", "relu6", "none"]] * 2
    assert written[1]["block"] == "chain:W=24/144/144/24,G=2/144/2,k=1/3/1,P=s/i" and written[1]["shortcut"] is True
    counted = cli("net", str(stages), "--json").json()
    params = 3 * 16 * 9 + 16 * 48 + 96 * 9 + 96 * 12 + 24 * 72 + 144 * 9 + 144 * 12 + 24 * 10 + 10
    assert counted["params"] == doc["totals"]["params"] == params
    assert (counted["mult_adds"], counted["mem_access"]) == (doc["totals"]["mult_adds"], doc["totals"]["mem_access"])
    assert cli("net", str(stages), "--bn", "--json").json()["params"] == doc["totals"]["model_params"]


def test_pytorchcv_mobilenetv2b_is_the_preset_without_the_fc_bias():
    """mobilenetv2b_w1 drops the t = 1 block's expansion conv as torchvision does (the preset):
    that block is a chain stage (channel-wise 3×3, BN, ReLU6, 1×1, BN: act [relu6, none]); only
    the classifier's bias (1000) differs from the preset."""
    from igcdesign.probe.inspect.stagefile import stage_document
    from test_net_zoo import pytorchcv_model

    model = pytorchcv_model("mobilenetv2", "mobilenetv2b_w1")
    doc, _ = stage_document(model, (1, 3, 224, 224), "mobilenetv2b_w1")
    assert doc["stages"][0] == {"block": "chain:W=32/32/16,G=32/1,k=3/1,P=i", "shortcut": True, "norm": "conv",
                                "act": ["relu6", "none"]}
    net = network_from_document(doc, "mobilenetv2b_w1")
    p, m, a = counts("mobilenetv2", False)
    assert counts(net, False) == (p - 1000, m, a - 1000)
    assert counts(net, True)[0] == counts("mobilenetv2", True)[0] - 1000 == sum(x.numel() for x in model.parameters())


def test_stage_act_lists_are_validated():
    from igcdesign.errors import SpecError

    block = "chain:W=3/8/8,G=1/1,k=3/3"
    with pytest.raises(SpecError, match="needs norm: conv"):
        network_from_document({"stages": [{"block": block, "act": ["relu6"]}]}, "f")
    with pytest.raises(SpecError, match="act lists 3 activations for the 2 BN of norm"):
        network_from_document({"stages": [{"block": block, "norm": "conv", "act": ["relu6"] * 3}]}, "f")
    with pytest.raises(SpecError, match="entries must be relu, relu6 or none"):
        network_from_document({"stages": [{"block": block, "norm": "conv", "act": ["relu6", "gelu"]}]}, "f")
    with pytest.raises(SpecError, match="one activation per BN"):
        network_from_document({"stages": [{"block": block, "norm": "conv", "act": []}]}, "f")


def test_torch_export_writes_relu6_as_hardtanh_and_gives_the_same_file():
    """torch.export's graph has ReLU6 as hardtanh(0, 6): the same document as fx's."""
    from igcdesign.probe.inspect.stagefile import stage_document

    model = models.mobilenet_v2_like().eval()
    exported = torch.export.export(model, (torch.zeros(1, 3, 32, 32),), strict=False).module()
    traced, _ = stage_document(model, (1, 3, 32, 32), "m")
    assert stage_document(exported, (1, 3, 32, 32), "m")[0] == traced
    assert traced["stem"]["act"] == "relu6"


class Basic6(torch.nn.Module):
    """A ResNet basic block with ReLU6 (`after`: the activation after the addition)."""

    def __init__(self, c, after=torch.nn.ReLU6):
        super().__init__()
        self.body = torch.nn.Sequential(models.conv_bn(c, c, 3, act=torch.nn.ReLU6), models.conv_bn(c, c, 3, act=None))
        self.after = after()

    def forward(self, x):
        return self.after(self.body(x) + x)


def resnet6(after=torch.nn.ReLU6):
    return torch.nn.Sequential(models.conv_bn(3, 8, 3, act=torch.nn.ReLU6), Basic6(8, after),
                               torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 4))


def test_a_residual_unit_with_relu6_is_a_chain_stage_with_act():
    from igcdesign.probe.inspect.stagefile import NotExpressible, stage_document
    from igcdesign.probe.networks import build_torch_net

    doc, _ = stage_document(resnet6().eval(), (1, 3, 16, 16), "r")
    assert doc["stages"] == [{"block": "chain:W=8/8/8,G=1/1,k=3/3,P=i", "shortcut": True, "norm": "conv",
                              "act": "relu6"}]
    net = network_from_document(doc, "r")
    assert count_net(net).params == 3 * 8 * 9 + 2 * 8 * 8 * 9 + 8 * 4 + 4
    built = build_torch_net(net)
    assert sum(isinstance(m, torch.nn.ReLU6) for m in built.modules()) == 3
    with pytest.raises(NotExpressible, match="ReLU and ReLU6 in one run"):
        stage_document(resnet6(torch.nn.ReLU).eval(), (1, 3, 16, 16), "r")
