"""Whole networks in PyTorch: parameter counts equal `net`'s under every counting option, the
multiply-adds equal a brute-force count from the module's own conv/linear shapes, and the
network runs. (Parameter counts are brute force: the sum of torch's parameter sizes.)"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from igcdesign.nets import count_net  # noqa: E402
from igcdesign.probe.networks import build_torch_net  # noqa: E402

SMALL_NETS = [
    ("igcv1-cifar:L=4,M=8,D=8", None),
    ("igcv1-cifar:L=24,M=2,D=8", None),
    ("regular-cifar:C=16,D=8", None),
    ("dwsep-cifar:C=35,D=8", None),
    ("igcv2-cifar:C=64,K=8/16/32,D=8", None),
    ("igcv3-imagenet:G1=2,G2=2,alpha=0.35", 64),
    ("mobilenetv2:alpha=0.5,t=3", 64),
]


def torch_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("spec, resolution", SMALL_NETS)
@pytest.mark.parametrize("bn", [False, True])
@pytest.mark.parametrize("fc", [False, True])
def test_torch_params_equal_count(spec, resolution, bn, fc):
    module = build_torch_net(spec, resolution=resolution, bn=bn, fc=fc)
    assert torch_params(module) == count_net(spec, resolution=resolution, bn=bn, fc=fc).params
    has_bn = any(isinstance(m, nn.BatchNorm2d) for m in module.modules())
    assert has_bn == bn


def test_full_size_imagenet_params():
    for spec in ("mobilenetv2", "igcv3-imagenet:G1=2,G2=2"):
        for bn in (False, True):
            assert torch_params(build_torch_net(spec, bn=bn)) == count_net(spec, bn=bn).params


def brute_force_mult_adds(module: nn.Module, x: torch.Tensor) -> int:
    """Σ conv weight size × output H·W, + linear weight size, from forward hooks."""
    total = 0

    def hook(layer, _inputs, output):
        nonlocal total
        if isinstance(layer, nn.Conv2d):
            total += layer.weight.numel() * output.shape[-2] * output.shape[-1]
        else:
            total += layer.weight.numel()

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        module(x)
    for h in handles:
        h.remove()
    return total


@pytest.mark.parametrize("spec, resolution", SMALL_NETS + [("mobilenetv2", 96)])
def test_mult_adds_equal_brute_force(spec, resolution):
    module = build_torch_net(spec, resolution=resolution)
    x = torch.randn(1, *module.input_shape)
    assert brute_force_mult_adds(module, x) == count_net(spec, resolution=resolution).mult_adds


def test_forward_shapes_and_shortcuts():
    module = build_torch_net("mobilenetv2:alpha=0.35", classes=7, resolution=64, bn=True)
    with torch.no_grad():
        y = module(torch.randn(2, 3, 64, 64))
    assert y.shape == (2, 7)
    no_fc = build_torch_net("igcv1-cifar:L=4,M=8,D=8", fc=False)
    with torch.no_grad():
        assert no_fc(torch.randn(1, 3, 32, 32)).shape == (1, 128)
    from igcdesign.probe.networks import Residual

    assert sum(isinstance(m, Residual) for m in module.modules()) == 10


def test_file_network_builds(tmp_path):
    path = tmp_path / "net.json"
    doc = {
        "resolution": 32, "classes": 10, "stem": {"width": 24},
        "stages": [
            {"block": "igcv3:t=4,G1=2,G2=2", "repeats": 2, "width": 24, "shortcut": True},
            {"block": "igcv1:L=3,M=16", "repeats": 2, "stride": 2, "width": 48},
            {"block": "igcv2:K=1x8x12", "stride": 2},
        ],
        "head": {"width": 192},
    }
    path.write_text(json.dumps(doc))
    for bn in (False, True):
        module = build_torch_net(str(path), bn=bn)
        assert torch_params(module) == count_net(str(path), bn=bn).params
    x = torch.randn(1, 3, 32, 32)
    assert brute_force_mult_adds(module, x) == count_net(str(path)).mult_adds


def test_probe_hook_target():
    from igcdesign.nets.probe_hook import net_target

    target = net_target("igcv1-cifar:L=4,M=8,D=8", 32)
    assert target.kind == "network" and target.input_shape == (3, 32, 32)
    module = target.factory(bn=False, relu=False)
    assert torch_params(module) == target.params == count_net("igcv1-cifar:L=4,M=8,D=8").params


@pytest.mark.parametrize("text, kind", [
    ("igcv1-cifar:L=4,M=8,D=8", "network"), ("mobilenetv2", "network"), ("mobilenetv2:alpha=0.5", "network"),
    ("mobilenetv2:t=4", "network"), ("mobilenetv2:C=24,t=6", "block"), ("igcv1:L=4,M=8", "block"),
    ("shufflenetv2-unit:C=8", "unit"),
])
def test_probe_tells_networks_from_blocks_by_registration(text, kind):
    """'mobilenetv2' names a network and a block family: the keys decide, nothing is guessed."""
    from igcdesign.probe.measure import probe  # noqa: F401 (the measuring module registers networks)
    from igcdesign.probe.targets import TARGET_KINDS, resolve_target

    assert [k.name for k in TARGET_KINDS] == ["network", "unit", "block"]
    assert resolve_target(text, 8).kind == kind


def test_a_spec_with_a_key_the_network_does_not_take_is_the_blocks():
    from igcdesign.errors import SpecError
    from igcdesign.probe.measure import probe  # noqa: F401
    from igcdesign.probe.targets import resolve_target

    with pytest.raises(SpecError, match="unknown key 'alpha' for mobilenetv2 .known: C, Cout, k, s, t"):
        resolve_target("mobilenetv2:alpha=0.5,C=8", 8)  # C: the block family answers, once


def test_cli_measure_json(cli):
    result = cli("net", "igcv1-cifar:L=4,M=8,D=8", "regular-cifar:C=16,D=8", "--measure", "--threads", "1", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    for net in doc["nets"]:
        (row,) = net["latency"]
        assert row["batch"] == 1 and row["latency_ms"] > 0 and row["params_torch"] == net["params"]
    assert doc["nets"][0]["ratios"]["latency_batch_1"] == 1.0


@pytest.mark.parametrize("args", [("--threads", "0"), ("--batch", "0"), ("--device", "tpu")])
def test_cli_measure_bad_settings(cli, args):
    result = cli("net", "regular-cifar:C=16,D=8", "--measure", *args, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("igcdesign: error: ") and result.stderr.count("\n") == 1
