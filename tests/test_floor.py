"""The roofline floor: closed forms on a made-up profile, and the per-layer sum over real chains."""

from __future__ import annotations

import pytest

from igcdesign.floor import block_floor, chain_floor, layer_floor
from igcdesign.layers import GroupConv, Permute
from igcdesign.profile import Fingerprint, Profile
from igcdesign.families import parse_block

PROFILE = Profile(Fingerprint("cpu: T", "t", 1, "float32"), copy_bytes_per_s=1e10, triad_bytes_per_s=2e10,
                  matmul_macs_per_s=4e10, conv_macs_per_s=1e10, call_s=1e-5)


def test_layer_floor_is_the_slower_of_compute_and_memory_plus_the_call():
    memory_bound = layer_floor(mult_adds=10**6, mem_access=10**7, profile=PROFILE, dtype_bytes=4)
    assert memory_bound.memory_s == pytest.approx(4e7 / 2e10) and memory_bound.compute_s == pytest.approx(1e6 / 4e10)
    assert memory_bound.floor_s == pytest.approx(4e7 / 2e10 + 1e-5) and memory_bound.bound == "memory"
    compute_bound = layer_floor(mult_adds=10**10, mem_access=10**6, profile=PROFILE, dtype_bytes=2)
    assert compute_bound.floor_s == pytest.approx(1e10 / 4e10 + 1e-5) and compute_bound.bound == "compute"


def brute_force(chain, positions, batch, dtype_bytes):
    """The floor from the layer fields, written out: maps per sample × batch, weights once."""
    total = 0.0
    for layer in chain:
        if isinstance(layer, GroupConv):
            weights = layer.cin // layer.groups * layer.cout * layer.k**2
            macs = weights * positions * batch
            elements = (layer.cin * layer.stride**2 + layer.cout) * positions * batch + weights  # input = s² × output map
        else:
            moved = layer.index_map() != list(range(layer.width))
            if not moved:
                continue
            macs, elements = 0, 2 * layer.width * positions * batch
        total += max(macs / PROFILE.peak, elements * dtype_bytes / PROFILE.bandwidth) + PROFILE.call_s
    return total


@pytest.mark.parametrize("spec", ["igcv1:L=4,M=8", "igcv2:K=1x4x4x3", "igcv3:C=24,t=6,G1=2,G2=2", "regular:C=33",
                                  "dwsep:C=95", "chain:W=8/8/8,G=2/4,k=3/1,P=i"])
@pytest.mark.parametrize("batch", [1, 32])
def test_block_floor_is_the_sum_over_layers(spec, batch):
    block = parse_block(spec)
    floor = block_floor(block, 16, PROFILE, "float32", batch)
    assert floor.floor_s == pytest.approx(brute_force(block.chain, 256, batch, 4))
    assert floor.floor_ms == pytest.approx(1e3 * floor.floor_s)


def test_identity_permutations_cost_nothing():
    chain = (GroupConv(8, 8, 2, 1), Permute(8, 1))
    assert len(chain_floor(chain, 4, PROFILE).layers) == 1


def test_half_precision_halves_the_memory_term():
    block = parse_block("igcv2:K=1x4x4x4")
    full, half = block_floor(block, 32, PROFILE, "float32"), block_floor(block, 32, PROFILE, "bfloat16")
    assert half.memory_s == pytest.approx(full.memory_s / 2)


@pytest.mark.parametrize("spec,strided_at", [("regular:C=16,s=2", 0), ("igcv3:C=8,t=2,G1=2,G2=2,s=2", 1),
                                             ("dwsep:C=16,s=2", 0), ("chain:W=8/8/8,G=2/4,k=3/1,s=1/2,P=i", 1)])
@pytest.mark.parametrize("batch", [1, 8])
def test_a_strided_block_is_floored_at_each_layer_s_own_output_map(spec, strided_at, batch):
    """hw is the input side: the layers up to the strided conv work on 16×16 maps (16² output
    positions), the strided conv and the rest on 8×8 (8² positions; the strided conv reads the
    16×16 map = 2²·8²), by the brute force above applied to the two halves of the chain."""
    block = parse_block(spec)
    chain = block.chain
    convs_seen, cut = 0, len(chain)
    for i, layer in enumerate(chain):
        if isinstance(layer, GroupConv):
            if convs_seen == strided_at:
                cut = i
                break
            convs_seen += 1
    assert chain[cut].stride == 2
    expected = brute_force(chain[:cut], 16 * 16, batch, 4) + brute_force(chain[cut:], 8 * 8, batch, 4)
    assert block_floor(block, 16, PROFILE, "float32", batch).floor_s == pytest.approx(expected)
