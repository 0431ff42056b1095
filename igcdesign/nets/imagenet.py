"""The ImageNet inverted-bottleneck networks: IGCV3-D and MobileNetV2, with width multipliers.

Layer tables (docs/networks.md):

- ``igcv3-imagenet:G1=2,G2=2`` — the official IGCV3-D (github.com/homles11/IGCV3,
  symbols/igcv3.py): stem 3×3 conv 3 → 32 stride 2; stages (t, c, n, s) (1,16,1,1), (6,24,4,2),
  (6,32,6,2), (6,64,8,2), (6,96,6,1), (6,160,6,2), (6,320,1,1); every block (the t = 1 one
  included) is an ``igcv3`` block: 1×1 group conv (G1) → t·C_in, BN; shuffle; 3×3 channel-wise
  conv with the block's stride, BN, ReLU6; 1×1 group conv (G2) → c, BN. Head 1×1 conv → 1280,
  BN, ReLU6; pool; FC. The official code also shuffles the block's output (c/2 groups); that
  permutation is not in networks.md nor in the igcv3 family's chain and is left out here (it
  costs no params or mult-adds, only 2·H·W·c of memory access per block).
- ``mobilenetv2`` — torchvision's layout: stages (1,16,1,1), (6,24,2,2), (6,32,3,2), (6,64,4,2),
  (6,96,3,1), (6,160,3,2), (6,320,1,1); blocks are ``mobilenetv2`` blocks (dense 1×1 convs) with
  BN + ReLU6 after the expansion conv, and no expansion conv when t = 1 (then a ``chain`` block:
  channel-wise 3×3, BN, ReLU6, 1×1 conv, BN).

Both: identity shortcut when the stride is 1 and C_in = c; the channel-wise conv carries the
stride, so the expansion conv runs at the input resolution.

Keys: ``alpha=`` width multiplier (plain decimal, default 1), ``t=`` expansion override (applies
to the stages whose table t is above 1; the t = 1 stage keeps t = 1), ``G1=``/``G2=`` (IGCV3).

Channel rounding (both networks, so that they compare at equal widths): torchvision's
``_make_divisible(c·alpha, 8)`` — round to the nearest multiple of 8, at least 8, and never more
than 10 % below c·alpha — for the stem and every stage width; the head is
``_make_divisible(1280·max(1, alpha), 8)``. Computed on exact fractions, so alpha = 0.35 is 7/20,
not a float. At alpha = 1 every width is the table's. (The official IGCV3 code instead rounds
c·alpha to the nearest integer and then up to even, and keeps the head at 1280 for alpha ≤ 1;
its expansion input is rounded twice, a bug not reproduced here.)
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

from igcdesign.errors import SpecError
from igcdesign.families import get_family
from igcdesign.nets.model import Network, Segment, Stage, Unit, conv_unit, note, split_at_convs, with_stride
from igcdesign.nets.values import check_keys, format_alpha, get_int, parse_alpha

RESOLUTION = 224
CLASSES = 1000
STEM = 32
HEAD = 1280
DIVISOR = 8

IGCV3_D_STAGES = ((1, 16, 1, 1), (6, 24, 4, 2), (6, 32, 6, 2), (6, 64, 8, 2), (6, 96, 6, 1), (6, 160, 6, 2), (6, 320, 1, 1))
MOBILENETV2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def make_divisible(value: Fraction | int, divisor: int = DIVISOR) -> int:
    """torchvision's _make_divisible on an exact value: nearest multiple of `divisor` (halves up),
    at least `divisor`, bumped by one divisor if that is more than 10 % below `value`."""
    value = Fraction(value)
    rounded = max(divisor, floor(value + Fraction(divisor, 2)) // divisor * divisor)
    if rounded < Fraction(9, 10) * value:
        rounded += divisor
    return rounded


def _alpha_and_t(items: dict[str, str], name: str) -> tuple[Fraction, int | None]:
    alpha = parse_alpha(items["alpha"], f"{name} alpha") if "alpha" in items else Fraction(1)
    t = get_int(items, "t", name) if "t" in items else None
    return alpha, t


def _name(base: str, parts: list[str], alpha: Fraction, t: int | None) -> str:
    if alpha != 1:
        parts.append(f"alpha={format_alpha(alpha)}")
    if t is not None:
        parts.append(f"t={t}")
    return f"{base}:{','.join(parts)}" if parts else base


def inverted_network(name: str, family: str, table: tuple, alpha: Fraction, t_override: int | None, block) -> Network:
    """Stem, the (t, c, n, s) stages made by `block(cin, t, c, stride, what)`, head conv."""
    stem_width = make_divisible(STEM * alpha)
    stages = [Stage("stem", (conv_unit("stem", 3, stem_width, 3, 2, "relu6"),))]
    cin = stem_width
    for i, (t, c, n, s) in enumerate(table):
        if t_override is not None and t > 1:
            t = t_override
        width = make_divisible(c * alpha)
        units = []
        for j in range(n):
            stride = s if j == 0 else 1
            units.append(block(cin, t, width, stride, f"stage {i + 1} block {j + 1}"))
            cin = width
        stages.append(Stage(f"stage {i + 1}", tuple(units)))
    head = make_divisible(HEAD * max(Fraction(1), alpha))
    stages.append(Stage("head", (conv_unit("head conv", cin, head, 1, 1, "relu6"),)))
    return Network(name, family, tuple(stages), RESOLUTION, CLASSES)


def _inverted_unit(what: str, made, segments_acts: list[str | None], cin: int, width: int, stride: int) -> Unit:
    pieces = split_at_convs(with_stride(made.chain, stride))
    if len(pieces) != len(segments_acts):
        raise SpecError(f"{what}: unexpected block shape")  # pragma: no cover - families fix the shape
    segments = tuple(Segment(piece, True, act) for piece, act in zip(pieces, segments_acts))
    return Unit(what, made.spec, segments, shortcut=(stride == 1 and cin == width), note=note(stride))


PRESET_KEYS = {"igcv3-imagenet": ("G1", "G2", "alpha", "t"), "mobilenetv2": ("alpha", "t")}


def igcv3_imagenet(items: dict[str, str]) -> Network:
    check_keys(items, PRESET_KEYS["igcv3-imagenet"], "igcv3-imagenet")
    G1 = get_int(items, "G1", "igcv3-imagenet", 2)
    G2 = get_int(items, "G2", "igcv3-imagenet", 2)
    alpha, t_override = _alpha_and_t(items, "igcv3-imagenet")
    family = get_family("igcv3")

    def block(cin: int, t: int, width: int, stride: int, what: str) -> Unit:
        try:
            made = family.make(C=cin, t=t, G1=G1, G2=G2, k=3, Cout=width)
        except SpecError as e:
            raise SpecError(f"igcv3-imagenet {what}: {e}") from None
        return _inverted_unit(what, made, [None, "relu6", None], cin, width, stride)

    name = _name("igcv3-imagenet", [f"G1={G1}", f"G2={G2}"], alpha, t_override)
    return inverted_network(name, "igcv3", IGCV3_D_STAGES, alpha, t_override, block)


def mobilenetv2(items: dict[str, str]) -> Network:
    check_keys(items, PRESET_KEYS["mobilenetv2"], "mobilenetv2")
    alpha, t_override = _alpha_and_t(items, "mobilenetv2")
    family, chain_family = get_family("mobilenetv2"), get_family("chain")

    def block(cin: int, t: int, width: int, stride: int, what: str) -> Unit:
        if t == 1:  # torchvision: no expansion conv
            made = chain_family.make(W=(cin, cin, width), G=(cin, 1), k=(3, 1))
            return _inverted_unit(what, made, ["relu6", None], cin, width, stride)
        made = family.make(C=cin, t=t, k=3, Cout=width)
        return _inverted_unit(what, made, ["relu6", "relu6", None], cin, width, stride)

    return inverted_network(_name("mobilenetv2", [], alpha, t_override), "mobilenetv2", MOBILENETV2_STAGES, alpha, t_override, block)


PRESETS = {
    "igcv3-imagenet": (igcv3_imagenet, "official IGCV3-D ImageNet network (G1=, G2=, alpha=, t=)"),
    "mobilenetv2": (mobilenetv2, "torchvision's MobileNetV2 (alpha=, t=)"),
}
