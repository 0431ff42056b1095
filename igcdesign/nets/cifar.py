"""The CIFAR networks of the IGCV1 and IGCV2 papers: a stem and three stages of B blocks.

Layout (IGCV1 paper, Table 2; official code hellozting/InterleavedGroupConvolutions,
network/plain_igc.py and plain.py; docs/networks.md):

- depth D = 3B + 2: a 3×3 stem conv 3 → w₁ (BN, ReLU), three stages of B blocks at 32×32,
  16×16 and 8×8 (widths w, 2w, 4w), global average pool, FC with bias;
- every block is the family's block followed by one BN and a ReLU (a plain network: no
  shortcuts, as in ``plain_igc.py``);
- the first block of stages 2 and 3 down-samples: its first (spatial) conv has stride 2 and maps
  the previous width to the new one (IGCV1: with L groups). Its convs are counted at the output
  resolution, which is what a stride on the first conv gives.

Networks:

- ``igcv1-cifar:L=,M=,D=`` — IGC-LxMy: IGCV1 blocks, L fixed, M doubling per stage.
- ``regular-cifar:C=,D=`` — RegConv-Wc: one dense 3×3 conv per block.
- ``dwsep-cifar:C=,D=`` — the IGCV2 paper's Xception network (arXiv 1804.06202, §5): channel-wise
  3×3 then a dense 1×1 conv per block.
- ``igcv2-cifar:C=,K=,D=`` — the IGCV2 paper's IGC-V2 network: channel-wise 3×3 (K₁ = 1) then
  1×1 group convs. K gives the 1×1 convs' branch sizes per stage ('/' between stages, one token
  for all): a token 'a' means two 1×1 convs with branch sizes a and w/a (strictly complementary:
  1·a·(w/a) = w), a token 'axb' lists them explicitly. ``C=64,K=8/16/32`` gives the blocks
  igcv2:K=1x8x8 (w = 64), 1x16x8 (128) and 1x32x8 (256).

Assumptions for the IGCV2 paper's networks (the stored copies of the paper reached from here
give its abstract and method, not its architecture table): the same stem, stage widths, plain
layout and BN/ReLU placement as the IGCV1 CIFAR networks; in the down-sampling block the
channel-wise conv maps w → 2w with w groups (a channel multiplier of 2), the way IGCV1's primary
conv maps the width, so that the 1×1 convs of a stage are the same in every block.
"""

from __future__ import annotations

from typing import Callable

from igcdesign.errors import SpecError
from igcdesign.families import get_family
from igcdesign.nets.model import Network, Segment, Stage, Unit, conv_unit, note, widen_first_conv, with_stride
from igcdesign.nets.values import MAX_BLOCKS, check_keys, get_int, per_stage
from igcdesign.families.block import Block
from igcdesign.spec import parse_int_list

RESOLUTION = 32
CLASSES = 10
STAGES = 3
DEFAULT_DEPTH = 20
MAX_DEPTH = 3 * (MAX_BLOCKS // 3) + 2  # 4,097: 3 stages of 1,365 blocks


def blocks_per_stage(depth: int, name: str) -> int:
    """B = (D − 2) / 3, or SpecError when the depth does not fit the layout."""
    if depth < 5 or (depth - 2) % 3:
        raise SpecError(f"{name}: depth D={depth} does not fit D = 3B + 2 with B ≥ 1 (e.g. 8, 20, 38, 62, 98)")
    if depth > MAX_DEPTH:
        raise SpecError(f"{name}: depth D={depth} is more than {MAX_DEPTH:,} (at most {MAX_BLOCKS:,} blocks in a network)")
    return (depth - 2) // 3


def cifar_network(name: str, family: str, widths: list[int], depth: int, block: Callable[[int], Block]) -> Network:
    """Stem + three stages of `block(stage)` blocks at `widths`, the plain IGCV1 CIFAR layout."""
    B = blocks_per_stage(depth, name)
    stem = conv_unit("stem", 3, widths[0], 3, 1, "relu")
    stages = [Stage("stem", (stem,))]
    cin = widths[0]
    for s, width in enumerate(widths):
        made = block(s)
        units = []
        for b in range(B):
            stride = 2 if (s > 0 and b == 0) else 1
            what = f"{name} stage {s + 1} block {b + 1}"
            chain = with_stride(widen_first_conv(made.chain, cin, what), stride)
            units.append(Unit(f"stage {s + 1} block {b + 1}", made.spec, (Segment(chain, True, "relu"),), note=note(stride, cin, width)))
            cin = width
        stages.append(Stage(f"stage {s + 1}", tuple(units)))
    return Network(name, family, tuple(stages), RESOLUTION, CLASSES)


def igcv1_cifar(items: dict[str, str]) -> Network:
    check_keys(items, PRESET_KEYS["igcv1-cifar"], "igcv1-cifar")
    L, M = get_int(items, "L", "igcv1-cifar"), get_int(items, "M", "igcv1-cifar")
    D = get_int(items, "D", "igcv1-cifar", DEFAULT_DEPTH)
    name = f"igcv1-cifar:L={L},M={M},D={D}"
    family = get_family("igcv1")
    return cifar_network(name, "igcv1", [L * M << s for s in range(STAGES)], D, lambda s: family.make(L=L, M=M << s, k=3))


def _single_width_cifar(family_name: str, items: dict[str, str]) -> Network:
    """RegConv-Wc or the Xception-like CIFAR net: one family, widths C, 2C, 4C."""
    net = f"{family_name}-cifar"
    check_keys(items, PRESET_KEYS[net], net)
    C = get_int(items, "C", net)
    D = get_int(items, "D", net, DEFAULT_DEPTH)
    family = get_family(family_name)
    widths = [C << s for s in range(STAGES)]
    return cifar_network(f"{net}:C={C},D={D}", family_name, widths, D, lambda s: family.make(C=widths[s], k=3))


def regular_cifar(items: dict[str, str]) -> Network:
    return _single_width_cifar("regular", items)


def dwsep_cifar(items: dict[str, str]) -> Network:
    return _single_width_cifar("dwsep", items)


def igcv2_branches(token: str, width: int, what: str) -> tuple[int, ...]:
    """One stage's K token → the branch sizes of the whole IGCV2 block (channel-wise first)."""
    sizes = parse_int_list(token, "x", what)
    if len(sizes) == 1:
        (a,) = sizes
        if width % a:
            raise SpecError(f"{what}: branch size {a} does not divide the stage width {width}")
        sizes = (a, width // a)
    return (1, *sizes)


def igcv2_cifar(items: dict[str, str]) -> Network:
    check_keys(items, PRESET_KEYS["igcv2-cifar"], "igcv2-cifar")
    C = get_int(items, "C", "igcv2-cifar")
    D = get_int(items, "D", "igcv2-cifar", DEFAULT_DEPTH)
    if "K" not in items:
        raise SpecError("network igcv2-cifar needs K= (1×1 branch sizes per stage, e.g. K=8/16/32)")
    tokens = per_stage(items["K"], STAGES, "igcv2-cifar K")
    widths = [C << s for s in range(STAGES)]
    branches = [igcv2_branches(t, w, f"igcv2-cifar K (stage {s + 1})") for s, (t, w) in enumerate(zip(tokens, widths))]
    family = get_family("igcv2")
    K = "/".join(tokens) if len(set(tokens)) > 1 else tokens[0]
    name = f"igcv2-cifar:C={C},K={K},D={D}"
    return cifar_network(name, "igcv2", widths, D, lambda s: family.make(K=branches[s], C=widths[s], k=3))


PRESET_KEYS = {"igcv1-cifar": ("L", "M", "D"), "regular-cifar": ("C", "D"), "dwsep-cifar": ("C", "D"),
               "igcv2-cifar": ("C", "K", "D")}
PRESETS = {
    "igcv1-cifar": (igcv1_cifar, "IGCV1 paper's IGC-LxMy CIFAR network (L=, M=, D=)"),
    "regular-cifar": (regular_cifar, "IGCV1 paper's RegConv-Wc CIFAR baseline (C=, D=)"),
    "dwsep-cifar": (dwsep_cifar, "IGCV2 paper's Xception CIFAR network (C=, D=)"),
    "igcv2-cifar": (igcv2_cifar, "IGCV2 paper's IGC-V2 CIFAR network (C=, K=a/b/c, D=)"),
}
