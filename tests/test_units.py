"""Units with a second path, a split or a concat (ShuffleNet V1/V2, ResNet, ResNeXt): their counts
and `check`'s verdicts against brute force on the real modules.

Brute force: every conv weight set to 1, every BN to the identity, average pools not counting the
padding, and the module run on one-hot 1×1 images (a k×k conv padded by k//2 sees only its
centre tap there). Each output channel then holds the number of paths from the hot input channel
(ReLUs pass the non-negative sums), without any of our path code. The modules are pytorchcv's
own units when it is installed, and always the units igcdesign builds.
"""

from __future__ import annotations

import copy
import itertools

import pytest

from igcdesign.nets.unitcheck import check_unit, count_unit_spec, unit_path_matrix
from igcdesign.nets.unitspecs import parse_unit


def brute_force_paths(module, cin: int):
    """p[o, i] of a module, by running it (see the module docstring)."""
    import torch
    from torch import nn

    module = copy.deepcopy(module).eval()
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(1)
                m.bias.zero_()
                m.running_mean.zero_()
                m.running_var.fill_(1.0)
                m.eps = 0.0
            elif isinstance(m, nn.AvgPool2d):
                m.count_include_pad = False
        y = module(torch.eye(cin).reshape(cin, cin, 1, 1))
    y = y.reshape(cin, -1)
    rounded = torch.round(y)
    assert torch.all((y - rounded).abs() < 1e-3)  # counts far below 2^24: exact in float32
    return rounded.long().T.numpy()


def verdict_of(p) -> str:
    """docs/conventions.md §2, written again here: sparse / strict / relaxed / redundant."""
    low, high = int(p.min()), int(p.max())
    if low == 0:
        return "sparse"
    if low == high:
        return "strict" if low == 1 else "relaxed"
    return "redundant"


def pytorchcv(module: str):
    pytest.importorskip("torch")
    import importlib

    try:
        return importlib.import_module(f"pytorchcv.models.{module}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("pytorchcv"):
            pytest.skip("pytorchcv is not installed")
        raise


PYTORCHCV_UNITS = [
    ("shufflenetv2-unit:C=116", "shufflenetv2", lambda m: m.ShuffleUnit(116, 116, False, False, False)),
    ("shufflenetv2-unit:Cin=116,C=232,s=2", "shufflenetv2", lambda m: m.ShuffleUnit(116, 232, True, False, False)),
    ("shufflenetv2-unit:Cin=24,C=116,s=2", "shufflenetv2", lambda m: m.ShuffleUnit(24, 116, True, False, False)),
    ("shufflenetv1-unit:C=240,g=3", "shufflenet", lambda m: m.ShuffleUnit(240, 240, 3, False, False)),
    ("shufflenetv1-unit:Cin=240,C=480,g=3,s=2", "shufflenet", lambda m: m.ShuffleUnit(240, 480, 3, True, False)),
    ("shufflenetv1-unit:Cin=384,C=768,g=8,s=2", "shufflenet", lambda m: m.ShuffleUnit(384, 768, 8, True, False)),
    ("resnet-unit:C=64", "resnet", lambda m: m.ResUnit(64, 64, 1, bottleneck=False)),
    ("resnet-unit:Cin=64,C=128,s=2", "resnet", lambda m: m.ResUnit(64, 128, 2, bottleneck=False)),
    ("resnet-bottleneck:Cin=256,C=512,mid=256,G=32,s=2", "resnext", lambda m: m.ResNeXtUnit(256, 512, 2, 32, 4)),
]


@pytest.mark.parametrize("spec,module,make", PYTORCHCV_UNITS, ids=[u[0] for u in PYTORCHCV_UNITS])
def test_unit_paths_equal_brute_force_on_the_pytorchcv_module(spec, module, make):
    real = make(pytorchcv(module))
    _, unit = parse_unit(spec)
    brute = brute_force_paths(real, unit.cin)
    ours = unit_path_matrix(unit)
    assert ours.shape == brute.shape and (ours == brute).all()
    doc = check_unit(spec, unit)
    assert doc["verdict"] == verdict_of(brute)
    assert (doc["paths_min"], doc["paths_max"]) == (int(brute.min()), int(brute.max()))
    assert doc["disconnected_pairs"] == int((brute == 0).sum())
    assert sum(p.numel() for p in real.parameters() if p.dim() == 4) == count_unit_spec(spec, unit, 8).params


def test_shufflenet_v2_unit_is_sparse_with_0_to_58_paths(cli):
    """The issue's figure: the whole unit (split, branch, identity half, concat, shuffle) of 116
    channels, by brute force on the module igcdesign builds."""
    pytest.importorskip("torch")
    from igcdesign.probe.networks import unit_module

    spec, unit = parse_unit("shufflenetv2-unit:C=116")
    brute = brute_force_paths(unit_module(unit, bn=True), 116)
    assert (int(brute.min()), int(brute.max())) == (0, 58) and verdict_of(brute) == "sparse"
    result = cli("check", spec, "--json")
    assert result.exit_code == 1
    doc = result.json()
    assert (doc["verdict"], doc["paths_min"], doc["paths_max"]) == ("sparse", 0, 58)


SMALL_UNITS = ["shufflenetv2-unit:C=8", "shufflenetv2-unit:Cin=4,C=8,s=2", "shufflenetv1-unit:C=24,g=2",
               "shufflenetv1-unit:Cin=12,C=24,g=3,s=2", "resnet-unit:Cin=4,C=8,s=2", "resnet-unit:C=4",
               "resnet-bottleneck:Cin=8,C=16,mid=8,G=4,s=2", "resnet-bottleneck:C=16,mid=8,G=2"]


@pytest.mark.parametrize("spec", SMALL_UNITS)
def test_unit_paths_equal_brute_force_on_the_built_module(spec):
    pytest.importorskip("torch")
    from igcdesign.probe.networks import unit_module

    _, unit = parse_unit(spec)
    brute = brute_force_paths(unit_module(unit, bn=True), unit.cin)
    assert (unit_path_matrix(unit) == brute).all()


def _enumerate_paths(spec: str):
    """p[o, i] by walking every channel-to-channel edge of the unit (no matrices): a conv joins
    input c to output o when they share a group, a permutation maps position j to index_map[j]."""
    from igcdesign.layers import GroupConv

    _, unit = parse_unit(spec)

    def edges(layers, width):
        steps = []
        for layer in layers:
            if isinstance(layer, GroupConv):
                a, b = layer.cin // layer.groups, layer.cout // layer.groups
                steps.append([(c, o) for o in range(layer.cout) for c in range(layer.cin) if c // a == o // b])
                width = layer.cout
            else:
                m = layer.index_map()
                steps.append([(m[j], j) for j in range(width)])
        return steps

    def count(steps, start, width_out):
        paths = {start: 1}
        for step in steps:
            nxt: dict[int, int] = {}
            for c, o in step:
                if c in paths:
                    nxt[o] = nxt.get(o, 0) + paths[c]
            paths = nxt
        return [paths.get(o, 0) for o in range(width_out)]

    cin, half = unit.cin, unit.cin // 2
    body_cin = unit.convs[0].cin
    body = edges(unit.layers, body_cin)
    side = edges(unit.side.layers, cin) if unit.side is not None else []
    columns = []
    for i in range(cin):
        if unit.split:
            b = count(body, i - half, unit.convs[-1].cout) if i >= half else [0] * unit.convs[-1].cout
            o = [int(i == j) for j in range(half)]
        else:
            b = count(body, i, unit.convs[-1].cout)
            o = count(side, i, unit.side_width) if side else [int(i == j) for j in range(cin)]
        if unit.merge == "concat":
            out = (o + b) if unit.side_first else (b + o)
        else:
            out = [x + y for x, y in zip(b, o)]
        for layer in unit.after:
            m = layer.index_map()
            out = [out[m[j]] for j in range(len(out))]
        columns.append(out)
    return [[columns[i][o] for i in range(cin)] for o in range(len(columns[0]))]


@pytest.mark.parametrize("spec", SMALL_UNITS)
def test_unit_paths_equal_an_enumeration_of_the_edges(spec):
    _, unit = parse_unit(spec)
    assert unit_path_matrix(unit).tolist() == _enumerate_paths(spec)


def test_unit_counts_are_the_closed_forms():
    # ShuffleNet V2 unit, C = 116 at 28×28: three convs on the 58-channel half, shuffle of all 116
    spec, unit = parse_unit("shufflenetv2-unit:C=116")
    counted = count_unit_spec(spec, unit, 28)
    weights = 58 * 58 + 58 * 9 + 58 * 58
    assert (counted.params, counted.mult_adds) == (weights, weights * 28 * 28)
    assert counted.mem_access == sum(cin * 784 + cout * 784 + w for cin, cout, w in
                                     ((58, 58, 3364), (58, 58, 522), (58, 58, 3364))) + 2 * 784 * 116
    # its down-sampling unit 116 → 232 at 28×28: both paths from the input, strided to 14×14
    spec, unit = parse_unit("shufflenetv2-unit:Cin=116,C=232,s=2")
    counted = count_unit_spec(spec, unit, 28)
    body = 116 * 116 * 28 * 28 + (116 * 9 + 116 * 116) * 14 * 14
    side = (116 * 9 + 116 * 116) * 14 * 14
    assert counted.mult_adds == body + side and counted.hw_out == 14 and counted.width_out == 232
    # ShuffleNet V1 down-sampling unit 240 → 480 (g = 3) at 28×28: the pool path costs nothing
    spec, unit = parse_unit("shufflenetv1-unit:Cin=240,C=480,g=3,s=2")
    counted = count_unit_spec(spec, unit, 28)
    assert counted.params == 240 * 120 // 3 + 120 * 9 + 120 * 240 // 3
    assert counted.mult_adds == 240 * 120 // 3 * 784 + (120 * 9 + 120 * 240 // 3) * 196
    assert counted.width_out == 480


def test_unit_specs_count_and_check_from_the_cli(cli):
    for spec in SMALL_UNITS:
        counted = cli("count", spec, "--hw", "8", "--json")
        assert counted.exit_code == 0, counted.stderr
        assert counted.json()["spec"] == spec
        assert cli("count", spec, "--hw", "8").exit_code == 0
        checked = cli("check", spec, "--json")
        assert checked.exit_code in (0, 1) and checked.json()["spec"] == spec
        human = cli("check", spec)
        assert human.exit_code == checked.exit_code and spec in human.stdout


def test_canonical_unit_specs_omit_defaults():
    assert parse_unit("shufflenetv2-unit:C=116,Cin=116,s=1")[0] == "shufflenetv2-unit:C=116"
    assert parse_unit("resnet-bottleneck:C=256,mid=64,G=1,Cin=256")[0] == "resnet-bottleneck:C=256"


@pytest.mark.parametrize("args,words", [
    (("check", "shufflenetv2-unit:C=117"), "C even"),
    (("check", "shufflenetv2-unit:C=116,s=3"), "1 or 2"),
    (("check", "shufflenetv2-unit:Cin=58,C=116"), "keeps its width"),
    (("check", "shufflenetv2-unit:C=" + "9" * 30), "too large"),
    (("check", "shufflenetv2-unit:C=100000"), "at most 2,048"),
    (("check", "shufflenetv2-unit:C=116,x=1"), "unknown key"),
    (("check", "shufflenetv2-unit"), "needs C"),
    (("check", "shufflenetv1-unit:Cin=480,C=240,g=3,s=2"), "needs C > C_in"),
    (("check", "shufflenetv1-unit:C=240,g=7"), "groups"),
    (("count", "shufflenetv2-unit:Cin=8,C=16,s=2", "--hw", "1"), "larger than its 1×1 input map"),
    (("check", "shufflenetv2-unit:C=8", "--perm-file", "p.json"), "a unit spec has none"),
])
def test_bad_unit_specs_are_one_line_errors(cli, args, words):
    result = cli(*args, "--json")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error: ") and words in lines[0], lines


def test_every_network_unit_has_a_verdict():
    """Every unit of the ShuffleNet presets checks (dense path counts, bounded)."""
    from igcdesign.nets.netspec import parse_net

    for name in ("shufflenet_v2:w=1.0", "shufflenet_v1:g=3"):
        net = parse_net(name)
        seen = set()
        for unit in itertools.islice(net.units(), 1, None):  # after the stem
            key = (unit.cin, unit.cout, unit.split, unit.merge)
            if key in seen or not unit.joined:
                continue
            seen.add(key)
            doc = check_unit(unit.name, unit)
            assert doc["verdict"] in ("sparse", "redundant", "relaxed", "strict")


def test_the_library_counts_unit_specs():
    import igcdesign

    counted = igcdesign.count("shufflenetv2-unit:C=116", hw=28)
    assert counted.params == 58 * 58 * 2 + 58 * 9 and counted.hw_out == 28 and counted.width_out == 116
    assert igcdesign.count("igcv1:L=4,M=8,s=2", hw=15).hw_out == 8
