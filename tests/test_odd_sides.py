"""Strided layers on map sides the stride does not divide (7, 15, 33, 225): every cost path reads
each layer's true input map, not positions·stride².

The reference is brute force on the built torch module: forward hooks on every nn.Conv2d add its
input, output and weight elements (mem_access, ShuffleNet V2's rule) and weights × output
positions (mult_adds); on every channel permutation 2 × its map's elements when it moved the
data (its output differs from its input), nothing otherwise. The floors are read on a profile
whose bandwidth is 4 bytes/s (a float32 element per second: memory seconds = elements) and whose
compute and call cost are negligible, so their memory seconds must equal the brute-force count.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from igcdesign.counting import count_block  # noqa: E402
from igcdesign.families import parse_block  # noqa: E402
from igcdesign.floor import block_floor, block_floor_document, walk_floor  # noqa: E402
from igcdesign.latency.model import chain_floor_s  # noqa: E402
from igcdesign.latency.steps import PLANS, plan_steps  # noqa: E402
from igcdesign.probe.modules import ChannelPermute, ChannelShuffle, chain_module  # noqa: E402
from igcdesign.profile import Fingerprint, Profile  # noqa: E402
import igcdesign.nets.probe_hook  # noqa: E402,F401 (the probe's network and unit targets, as probe registers them)

SIDES = [7, 15, 33, 225]
BLOCKS = ["regular:C=4,s=2", "dwsep:C=8,s=2", "igcv1:L=2,M=4,s=2", "igcv2:K=2x4,s=2", "igcv3:C=8,t=2,G1=2,G2=2,s=2",
          "mobilenetv2:C=8,t=2,s=2", "shufflenetv1:C=24,g=3,s=2", "chain:W=8/8/8,G=2/8,k=1/3,s=1/2,P=s"]
UNITS = ["shufflenetv2-unit:Cin=4,C=8,s=2", "shufflenetv1-unit:Cin=12,C=24,g=3,s=2", "resnet-unit:Cin=4,C=8,s=2",
         "resnet-bottleneck:Cin=8,C=16,mid=8,G=4,s=2"]
ELEMENTS = Profile(Fingerprint("test", "0", 1, "float32"), copy_bytes_per_s=4.0, triad_bytes_per_s=4.0,
                   matmul_macs_per_s=1e300, conv_macs_per_s=1e300, call_s=1e-300)


def brute_force(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(params, mult_adds, mem_access) of one run of the module, from its tensors' shapes."""
    totals = {"params": 0, "mult_adds": 0, "mem": 0}

    def conv(m, inputs, output):
        (x,) = inputs
        totals["params"] += m.weight.numel()
        totals["mult_adds"] += m.weight.numel() * output.shape[2] * output.shape[3]
        totals["mem"] += x[0].numel() + output[0].numel() + m.weight.numel()

    def permutation(m, inputs, output):
        (x,) = inputs
        if not torch.equal(x, output):
            totals["mem"] += 2 * x[0].numel()

    hooks = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv))
        elif isinstance(m, (ChannelShuffle, ChannelPermute)):
            hooks.append(m.register_forward_hook(permutation))
    with torch.no_grad():
        module.eval()(torch.randn(*shape))
    for hook in hooks:
        hook.remove()
    return totals["params"], totals["mult_adds"], totals["mem"]


def memory_elements(layers, batch: int = 1) -> float:
    return walk_floor(layers, ELEMENTS, batch=batch).memory_s


@pytest.mark.parametrize("hw", SIDES)
@pytest.mark.parametrize("spec", BLOCKS)
def test_a_strided_block_is_costed_at_its_true_maps(spec, hw):
    from igcdesign.probe.targets import resolve_target

    block = parse_block(spec)
    cin = block.chain[0].cin
    params, mult_adds, mem = brute_force(chain_module(block.chain), (1, cin, hw, hw))
    counted = count_block(block, hw)
    assert (counted.params, counted.mult_adds, counted.mem_access) == (params, mult_adds, mem)
    assert counted.hw_out == (hw + 2 * 1 - 3) // 2 + 1  # the one stride-2 3×3 conv, padded by 1
    assert block_floor(block, hw, ELEMENTS).memory_s == mem
    assert block_floor(block, hw, ELEMENTS, batch=3).memory_s == 3 * mem - 2 * params  # weights read once
    document = block_floor_document(block, hw, ELEMENTS)
    assert sum(ms for ms in document["layers_ms"] if ms) == pytest.approx(mem * 1e3, rel=1e-12)
    target = resolve_target(spec, hw)
    assert (target.params, target.mult_adds, target.mem_access) == (params, mult_adds, mem)
    assert memory_elements(target.floor_layers) == mem


@pytest.mark.parametrize("hw", SIDES)
@pytest.mark.parametrize("spec", BLOCKS)
def test_the_latency_models_floor_reads_the_true_maps(spec, hw):
    """Every plan's steps cost each chain layer once (test_latency_steps); their floors, summed,
    are the block's brute-force memory elements plus one call per moving layer (negligible)."""
    chain = parse_block(spec).chain
    _, _, mem = brute_force(chain_module(chain), (1, chain[0].cin, hw, hw))
    for plan in PLANS + ("plain",):
        floors = sum(chain_floor_s(planned.layers, 1, ELEMENTS) for planned in plan_steps(chain, plan, hw, 1))
        assert floors == pytest.approx(mem, rel=1e-15, abs=1e-200)
        memory = sum(memory_elements(planned.layers) for planned in plan_steps(chain, plan, hw, 1))
        assert memory == mem


@pytest.mark.parametrize("hw", SIDES[:3])
@pytest.mark.parametrize("spec", UNITS)
def test_a_strided_unit_is_costed_at_its_true_maps(spec, hw):
    from igcdesign.nets.unitcheck import count_unit_spec
    from igcdesign.nets.unitspecs import parse_unit
    from igcdesign.probe.networks import unit_module
    from igcdesign.probe.targets import resolve_target

    canonical, unit = parse_unit(spec)
    params, mult_adds, mem = brute_force(unit_module(unit, bn=False), (1, unit.cin, hw, hw))
    counted = count_unit_spec(canonical, unit, hw)
    assert (counted.params, counted.mult_adds, counted.mem_access) == (params, mult_adds, mem)
    assert counted.hw_out == (hw + 2 * 1 - 3) // 2 + 1
    target = resolve_target(spec, hw)
    assert (target.params, target.mult_adds, target.mem_access) == (params, mult_adds, mem)
    assert memory_elements(target.floor_layers) == mem


@pytest.mark.parametrize("spec, resolution", [("igcv1-cifar:L=2,M=2,D=8", 36), ("shufflenet_v2:w=0.5", 96),
                                              ("resnet18", 96)])
def test_a_network_walked_to_odd_maps_is_costed_at_its_true_maps(spec, resolution):
    """36 → 18 → 9 and 96 → … → 3: odd maps where no stride is applied (a network's side must be
    a multiple of its total stride, so its strides always divide)."""
    from igcdesign.nets import count_net
    from igcdesign.nets.probe_hook import target_at
    from igcdesign.probe.networks import build_torch_net

    module = build_torch_net(spec, resolution=resolution, fc=False)
    params, mult_adds, mem = brute_force(module, (1, 3, resolution, resolution))
    counted = count_net(spec, resolution=resolution, fc=False)
    assert (counted.params, counted.mult_adds, counted.mem_access) == (params, mult_adds, mem)
    target = target_at(spec, resolution, fc=False)
    assert memory_elements(target.floor_layers) == mem
