"""Unit specs through the library and every command that takes a spec: `igcdesign.check` and
`igcdesign.module` answer as `check`/`count` do, `probe` measures a unit, `latency` refuses one.

Verdicts are compared with brute force on the built module (test_units.brute_force_paths: conv
weights 1, BN identity, one-hot 1×1 images), parameter counts with pytorchcv's own units where
it is installed, output sides with ⌊(hw + 2p − k)/s⌋ + 1 written here.
"""

from __future__ import annotations

import pytest

import igcdesign
from igcdesign.errors import IGCError
from test_units import SMALL_UNITS, brute_force_paths, pytorchcv, verdict_of


@pytest.mark.parametrize("spec", SMALL_UNITS + ["shufflenetv2-unit:C=116"])
def test_the_library_check_of_a_unit_is_the_cli_document_and_brute_force(cli, spec):
    pytest.importorskip("torch")
    result = igcdesign.check(spec)
    checked = cli("check", spec, "--json")
    assert result.as_dict() == checked.json() and result.exit_code == checked.exit_code
    brute = brute_force_paths(igcdesign.module(spec, bn=True, impl="plain"), result.cin)  # nn.Conv2d per conv
    assert result.verdict == verdict_of(brute)
    assert (result.min_paths, result.max_paths) == (int(brute.min()), int(brute.max()))
    assert result.disconnected_pairs == int((brute == 0).sum()) and result.fix is None


PEERS = [
    ("shufflenetv2-unit:C=116", "shufflenetv2", lambda m: m.ShuffleUnit(116, 116, False, False, False)),
    ("shufflenetv2-unit:Cin=24,C=116,s=2", "shufflenetv2", lambda m: m.ShuffleUnit(24, 116, True, False, False)),
    ("shufflenetv1-unit:C=240,g=3", "shufflenet", lambda m: m.ShuffleUnit(240, 240, 3, False, False)),
    ("shufflenetv1-unit:Cin=240,C=480,g=3,s=2", "shufflenet", lambda m: m.ShuffleUnit(240, 480, 3, True, False)),
    ("resnet-unit:Cin=64,C=128,s=2", "resnet", lambda m: m.ResUnit(64, 128, 2, bottleneck=False)),
    ("resnet-bottleneck:Cin=256,C=512,mid=256,G=32,s=2", "resnext", lambda m: m.ResNeXtUnit(256, 512, 2, 32, 4)),
]


@pytest.mark.parametrize("spec,module,make", PEERS, ids=[p[0] for p in PEERS])
def test_the_library_module_of_a_unit_has_the_peer_parameters_and_verdict(spec, module, make):
    """bn=True: every parameter of pytorchcv's unit (conv weights, BN γ and β); without BN the
    module's parameters are count's; the verdict is brute force's on pytorchcv's module."""
    real = make(pytorchcv(module))
    with_bn, plain = igcdesign.module(spec, bn=True), igcdesign.module(spec)
    assert sum(p.numel() for p in with_bn.parameters()) == sum(p.numel() for p in real.parameters())
    assert sum(p.numel() for p in plain.parameters()) == igcdesign.count(spec).params
    assert sum(p.numel() for p in real.parameters() if p.dim() == 4) == igcdesign.count(spec).params
    result = igcdesign.check(spec)
    brute = brute_force_paths(real, result.cin)
    assert (result.verdict, result.min_paths, result.max_paths) == (verdict_of(brute), int(brute.min()), int(brute.max()))


@pytest.mark.parametrize("spec,cin,cout,stride", [
    ("shufflenetv2-unit:Cin=4,C=8,s=2", 4, 8, 2), ("shufflenetv1-unit:Cin=12,C=24,g=3,s=2", 12, 24, 2),
    ("resnet-unit:Cin=4,C=8,s=2", 4, 8, 2), ("resnet-bottleneck:C=16,mid=8,G=2", 16, 16, 1),
])
@pytest.mark.parametrize("hw", [7, 15])
def test_the_module_of_a_unit_maps_as_counted_and_fast_equals_plain(spec, cin, cout, stride, hw):
    torch = pytest.importorskip("torch")
    side = (hw + 2 * 1 - 3) // stride + 1  # the 3×3 conv (and pool) padded by 1
    counted = igcdesign.count(spec, hw=hw)
    assert (counted.hw_out, counted.width_out) == (side, cout)
    from igcdesign.probe.fast import FastChainModule

    fast, plain = igcdesign.module(spec, bn=True).eval(), igcdesign.module(spec, bn=True, impl="plain").eval()
    chains = dict(plain.named_modules())
    loaded = [m.load_plain(chains[name]) for name, m in fast.named_modules() if isinstance(m, FastChainModule)]
    assert loaded and sum(p.numel() for p in fast.parameters()) == sum(p.numel() for p in plain.parameters())
    fast, plain = fast.double(), plain.double()
    x = torch.randn(2, cin, hw, hw, dtype=torch.float64)
    with torch.no_grad():
        y = fast(x)
        torch.testing.assert_close(plain(x), y, rtol=1e-10, atol=1e-10)
    assert tuple(y.shape) == (2, cout, side, side)


def test_unit_options_that_mean_nothing_for_a_unit_are_refused():
    with pytest.raises(IGCError, match="own activations"):
        igcdesign.module("resnet-unit:C=8", relu=True)
    with pytest.raises(IGCError, match="a unit spec has none"):
        igcdesign.check("shufflenetv2-unit:C=8", perms=[[0, 1]])
    with pytest.raises(IGCError, match="measure it with `igcdesign probe`"):
        igcdesign.predict_latency("shufflenetv2-unit:C=8")
    with pytest.raises(IGCError, match="C even"):
        igcdesign.module("shufflenetv2-unit:C=9")


def test_latency_refuses_a_unit_in_one_line(cli):
    result = cli("latency", "igcv1:L=4,M=8", "shufflenetv2-unit:C=116", "--json")
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "shufflenetv2-unit:C=116 is a unit" in lines[0], lines


@pytest.mark.parametrize("spec", ["shufflenetv2-unit:Cin=4,C=8,s=2", "resnet-unit:C=8"])
def test_probe_measures_a_unit_with_counts_of_count(cli, spec):
    pytest.importorskip("torch")
    result = cli("probe", spec, "--hw", "7", "--min-time", "0.01", "--baseline", "none", "--json")
    assert result.exit_code == 0, result.stderr
    (row,) = result.json()["results"]
    counted = igcdesign.count(spec, hw=7)
    assert row["kind"] == "unit" and row["spec"] == spec
    assert (row["params"], row["params_torch"]) == (counted.params, counted.params)
    assert (row["mult_adds"], row["mem_access"]) == (counted.mult_adds, counted.mem_access)
    assert row["latency_ms"] > 0


def test_probe_of_a_bad_unit_is_a_one_line_error(cli):
    result = cli("probe", "shufflenetv2-unit:Cin=8,C=16,s=2", "--hw", "1", "--json")
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error: ") and "1×1 input map" in lines[0], lines
