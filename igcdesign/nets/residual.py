"""ResNet and ResNeXt for ImageNet, as pytorchcv builds them (docs/networks.md).

- ``resnet18``: stem 7×7 conv 3 → 64 stride 2, BN, ReLU, 3×3 max pool stride 2 (padding 1);
  four stages of basic units, widths 64, 128, 256, 512, two units each; the first unit of
  stages 2–4 has stride 2 on its first conv. A basic unit: 3×3 conv, BN, ReLU, 3×3 conv, BN;
  shortcut: the identity, or where the stride or the width changes a projection (1×1 conv with
  the unit's stride, BN); added, then ReLU. Global average pool, FC 512 → 1000 with bias.
- ``resnet50``: the same stem; bottleneck units (1×1 conv → C/4, BN, ReLU; 3×3 conv, BN, ReLU;
  1×1 conv → C, BN), widths 256, 512, 1024, 2048, units 3, 4, 6, 3. pytorchcv's ``resnet50`` is
  the paper's ResNet: the stride sits on the first 1×1 conv (``conv1_stride=True``; its
  ``resnet50b`` and torchvision move it to the 3×3 conv, same params, more mult-adds).
- ``resnext50_32x4d``: resnet50's layout with ResNeXt units: 1×1 conv → D·32, BN, ReLU; 3×3 conv
  with 32 groups and the unit's stride, BN, ReLU; 1×1 conv → C, BN; D = ⌊(C/4)·4/64⌋, so the
  grouped width is 128, 256, 512, 1024.
"""

from __future__ import annotations

from igcdesign.errors import SpecError
from igcdesign.families import get_family
from igcdesign.layers import GroupConv
from igcdesign.nets.model import Branch, Network, Pool, Segment, Stage, Unit, chain_segments, conv_unit, note
from igcdesign.nets.values import check_keys

RESOLUTION = 224
CLASSES = 1000
STEM = 64
STAGE_WIDTHS = (64, 128, 256, 512)


def projection(cin: int, cout: int, stride: int) -> Branch:
    """The projection shortcut: a 1×1 conv with the unit's stride, then BN."""
    return Branch((Segment((GroupConv(cin, cout, 1, 1, stride, name="projection 1×1 conv"),), True, None),))


def residual_unit(name: str, made, acts: list[str | None], cin: int, cout: int, stride: int) -> Unit:
    """A body (a block, BN after each conv, `acts` between them) added to the identity, or to a
    projection where the stride or the width changes; ReLU after the addition."""
    needs_projection = stride != 1 or cin != cout
    return Unit(name, made.spec, chain_segments(made, acts), shortcut=not needs_projection,
                side=projection(cin, cout, stride) if needs_projection else None, merge="add", act="relu",
                note=", ".join(part for part in (note(stride), "projection shortcut" if needs_projection else "") if part))


def basic_unit(name: str, cin: int, cout: int, stride: int) -> Unit:
    """ResNet's basic unit: two 3×3 convs, the first with the stride."""
    made = get_family("chain").make(W=(cin, cout, cout), G=(1, 1), k=(3, 3), s=(stride, 1), P=("i",))
    return residual_unit(name, made, ["relu", None], cin, cout, stride)


def bottleneck_unit(name: str, cin: int, cout: int, mid: int, groups: int, stride: int, stride_first: bool) -> Unit:
    """ResNet's (groups = 1) or ResNeXt's bottleneck: 1×1 → mid, 3×3 with `groups`, 1×1 → cout;
    the stride on the first 1×1 conv (`stride_first`) or on the 3×3 conv."""
    strides = (stride, 1, 1) if stride_first else (1, stride, 1)
    try:
        made = get_family("chain").make(W=(cin, mid, mid, cout), G=(1, groups, 1), k=(1, 3, 1), s=strides, P=("i", "i"))
    except SpecError as e:
        raise SpecError(f"{name}: {e}") from None
    return residual_unit(name, made, ["relu", "relu", None], cin, cout, stride)


def resnet(name: str, family: str, repeats: tuple[int, ...], unit) -> Network:
    """Stem (7×7 conv, BN, ReLU, max pool), four stages of `unit(name, cin, cout, stride)`."""
    stages = [Stage("stem", (conv_unit("stem", 3, STEM, 7, 2, "relu", pool=Pool("max", 3, 2, 1)),))]
    cin = STEM
    for i, (width, n) in enumerate(zip(STAGE_WIDTHS, repeats)):
        units = []
        for j in range(n):
            stride = 2 if j == 0 and i > 0 else 1
            made = unit(f"stage {i + 1} unit {j + 1}", cin, width, stride)
            units.append(made)
            cin = made.cout
        stages.append(Stage(f"stage {i + 1}", tuple(units)))
    return Network(name, family, tuple(stages), RESOLUTION, CLASSES)


def resnet18(items: dict[str, str]) -> Network:
    check_keys(items, (), "resnet18")
    return resnet("resnet18", "resnet", (2, 2, 2, 2), basic_unit)


def resnet50(items: dict[str, str]) -> Network:
    check_keys(items, (), "resnet50")

    def unit(name, cin, width, stride):
        return bottleneck_unit(name, cin, 4 * width, width, 1, stride, stride_first=True)

    return resnet("resnet50", "resnet", (3, 4, 6, 3), unit)


def resnext50_32x4d(items: dict[str, str]) -> Network:
    check_keys(items, (), "resnext50_32x4d")
    cardinality, bottleneck_width = 32, 4

    def unit(name, cin, width, stride):
        cout = 4 * width
        grouped = cardinality * ((cout // 4) * bottleneck_width // 64)
        return bottleneck_unit(name, cin, cout, grouped, cardinality, stride, stride_first=False)

    return resnet("resnext50_32x4d", "resnext", (3, 4, 6, 3), unit)


PRESET_KEYS = {"resnet18": (), "resnet50": (), "resnext50_32x4d": ()}
PRESETS = {
    "resnet18": (resnet18, "ResNet-18 (pytorchcv resnet18)"),
    "resnet50": (resnet50, "ResNet-50, stride on the first 1×1 conv (pytorchcv resnet50)"),
    "resnext50_32x4d": (resnext50_32x4d, "ResNeXt-50 32×4d (pytorchcv resnext50_32x4d)"),
}
