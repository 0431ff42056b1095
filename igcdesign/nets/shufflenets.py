"""ShuffleNet V1 and V2 for ImageNet, as pytorchcv builds them (docs/networks.md), and their units.

- ``shufflenet_v1:g=3`` (g one of 1, 2, 3, 4, 8; pytorchcv ``shufflenet_g{g}_w1``): stem 3×3 conv
  3 → 24 stride 2, BN, ReLU, 3×3 max pool stride 2 (padding 1); three stages of 4, 8, 4 units,
  widths (g = 1, 2, 3, 4, 8) 144/200/240/272/384, doubling per stage. A unit: 1×1 group conv (g
  groups; 1 group in the network's very first unit) → C/4, BN, ReLU, channel shuffle (g groups),
  3×3 channel-wise conv, BN, 1×1 group conv (g groups) → C, BN; added to the input, then ReLU.
  The first unit of each stage down-samples: its channel-wise conv has stride 2, its last conv
  gives C − C_in channels, concatenated after a 3×3 average pool (stride 2, padding 1) of the
  input (the conv's channels first), then ReLU.
- ``shufflenet_v2:w=1.0`` (w one of 0.5, 1.0, 1.5, 2.0; pytorchcv ``shufflenetv2_wd2``, ``_w1``,
  ``_w3d2``, ``_w2``, whose width scales are 12/29, 1, 44/29, 61/29): stem 3×3 conv 3 → 24 stride
  2, BN, ReLU, 3×3 max pool stride 2 (no padding, ceil mode); three stages of 4, 8, 4 units,
  widths ⌊116·scale⌋, ⌊232·scale⌋, ⌊464·scale⌋ (48, 116, 176, 244 first); head 1×1 conv → 1024
  (⌊1024·scale⌋ where the scale is above 1.5, as pytorchcv: 1553 and 2153), BN, ReLU. A unit splits its C channels in halves: the first half passes unchanged, the
  second goes through 1×1 conv, BN, ReLU, 3×3 channel-wise conv, BN, 1×1 conv, BN, ReLU; the
  halves are concatenated (identity first) and shuffled with 2 groups. The first unit of each
  stage reads all C_in channels on two paths, a 3×3 channel-wise conv with stride 2, BN, 1×1 conv
  → C/2, BN, ReLU (first) and the body above with stride 2 on its channel-wise conv, C_in → C/2.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

from igcdesign.errors import SpecError
from igcdesign.families import get_family
from igcdesign.layers import Permute
from igcdesign.nets.model import Branch, Network, Pool, Stage, Unit, chain_segments, conv_unit, note
from igcdesign.nets.values import check_keys, format_alpha, get_int, parse_alpha

RESOLUTION = 224
CLASSES = 1000
STEM = 24
REPEATS = (4, 8, 4)
V1_WIDTHS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # the first stage's width per g (the paper's Table 1)
V2_WIDTHS = (116, 232, 464)
# w → pytorchcv's width_scale (shufflenetv2_wd2, _w1, _w3d2, _w2): the paper's 48, 116, 176, 244
V2_SCALES = {Fraction(1, 2): Fraction(12, 29), Fraction(1): Fraction(1), Fraction(3, 2): Fraction(44, 29),
             Fraction(2): Fraction(61, 29)}
V2_HEAD = 1024


def _chain(name: str, **values):
    try:
        return get_family("chain").make(**values)
    except SpecError as e:
        raise SpecError(f"{name}: {e}") from None


def shufflenet_v1_unit(name: str, cin: int, cout: int, g: int, down: bool, first_groups: int | None = None) -> Unit:
    """ShuffleNet V1's unit C_in → C (down: stride 2, average-pool path concatenated; else the
    identity added, C_in = C). `first_groups` overrides the first conv's groups (pytorchcv: 1 in
    the network's first unit)."""
    if cout % 4:
        raise SpecError(f"{name}: the bottleneck C/4 needs C a multiple of 4, got {cout}")
    mid = cout // 4
    body_out = cout - cin if down else cout
    if body_out < 1:
        raise SpecError(f"{name}: a down-sampling unit needs C > C_in, got {cin} → {cout}")
    if not down and cin != cout:
        raise SpecError(f"{name}: a stride-1 unit keeps its width, got {cin} → {cout}")
    made = _chain(name, W=(cin, mid, mid, body_out), G=(first_groups or g, mid, g), k=(1, 3, 1),
                  s=(1, 2 if down else 1, 1), P=(g, "i"))
    segments = chain_segments(made, ["relu", None, None])
    if down:
        return Unit(name, made.spec, segments, side=Branch(pool=Pool("avg", 3, 2, 1)), merge="concat",
                    act="relu", note="stride 2, average-pool path concatenated")
    return Unit(name, made.spec, segments, shortcut=True, act="relu")


def shufflenet_v2_unit(name: str, cin: int, cout: int, down: bool) -> Unit:
    """ShuffleNet V2's unit C_in → C: channel split, one branch, identity half, concat, shuffle
    (down: both halves computed from the whole input, stride 2)."""
    if cout % 2:
        raise SpecError(f"{name}: the two halves need C even, got {cout}")
    mid = cout // 2
    shuffle = (Permute(cout, 2, name="shuffle (2 groups)"),)
    if down:
        made = _chain(name, W=(cin, mid, mid, mid), G=(1, mid, 1), k=(1, 3, 1), s=(1, 2, 1), P=("i", "i"))
        left = _chain(name, W=(cin, cin, mid), G=(cin, 1), k=(3, 1), s=(2, 1), P=("i",))
        return Unit(name, made.spec, chain_segments(made, ["relu", None, "relu"]),
                    side=Branch(chain_segments(left, [None, "relu"])), merge="concat", side_first=True,
                    after=shuffle, note=f"stride 2, two paths: {left.spec} first")
    if cin != cout:
        raise SpecError(f"{name}: a stride-1 unit keeps its width, got {cin} → {cout}")
    made = _chain(name, W=(mid, mid, mid, mid), G=(1, mid, 1), k=(1, 3, 1), P=("i", "i"))
    return Unit(name, made.spec, chain_segments(made, ["relu", None, "relu"]), split=True, merge="concat",
                side_first=True, after=shuffle, note="channel split: first half identity")


def shufflenet_v1(items: dict[str, str]) -> Network:
    check_keys(items, ("g",), "shufflenet_v1")
    g = get_int(items, "g", "shufflenet_v1", 3)
    if g not in V1_WIDTHS:
        raise SpecError(f"shufflenet_v1 g: one of {', '.join(map(str, V1_WIDTHS))}, got {g}")
    stages = [Stage("stem", (conv_unit("stem", 3, STEM, 3, 2, "relu", pool=Pool("max", 3, 2, 1)),))]
    cin = STEM
    for i, n in enumerate(REPEATS):
        width = V1_WIDTHS[g] << i
        units = []
        for j in range(n):
            first = 1 if i == 0 and j == 0 else None
            units.append(shufflenet_v1_unit(f"stage {i + 1} unit {j + 1}", cin, width, g, j == 0, first))
            cin = width
        stages.append(Stage(f"stage {i + 1}", tuple(units)))
    return Network(f"shufflenet_v1:g={g}", "shufflenetv1", tuple(stages), RESOLUTION, CLASSES)


def shufflenet_v2(items: dict[str, str]) -> Network:
    check_keys(items, ("w",), "shufflenet_v2")
    w = parse_alpha(items["w"], "shufflenet_v2 w") if "w" in items else Fraction(1)
    if w not in V2_SCALES:
        raise SpecError(f"shufflenet_v2 w: one of 0.5, 1.0, 1.5, 2.0, got {items['w']}")
    scale = V2_SCALES[w]
    stages = [Stage("stem", (conv_unit("stem", 3, STEM, 3, 2, "relu", pool=Pool("max", 3, 2, 0, ceil_mode=True)),))]
    cin = STEM
    for i, n in enumerate(REPEATS):
        width = floor(V2_WIDTHS[i] * scale)
        units = []
        for j in range(n):
            units.append(shufflenet_v2_unit(f"stage {i + 1} unit {j + 1}", cin, width, j == 0))
            cin = width
        stages.append(Stage(f"stage {i + 1}", tuple(units)))
    head = floor(V2_HEAD * scale) if scale > Fraction(3, 2) else V2_HEAD  # pytorchcv: 1553 at w = 1.5
    stages.append(Stage("head", (conv_unit("head conv", cin, head, 1, 1, "relu"),)))
    text = format_alpha(w)
    return Network(f"shufflenet_v2:w={text}", "shufflenetv2", tuple(stages), RESOLUTION, CLASSES)


PRESET_KEYS = {"shufflenet_v1": ("g",), "shufflenet_v2": ("w",)}
PRESETS = {
    "shufflenet_v1": (shufflenet_v1, "ShuffleNet V1 1× (g=, pytorchcv shufflenet_g3_w1 and kin)"),
    "shufflenet_v2": (shufflenet_v2, "ShuffleNet V2 (w=, pytorchcv shufflenetv2_w1 and kin)"),
}
