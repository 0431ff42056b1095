"""Specs of the network units that are more than a chain: a second path (projection or pool
shortcut), a channel split, a concat. `count` and `check` take them beside the block specs.

| spec | unit |
|---|---|
| ``shufflenetv2-unit:C=116`` | ShuffleNet V2's unit: split, one branch, identity half, concat, shuffle |
| ``shufflenetv2-unit:Cin=116,C=232,s=2`` | its down-sampling unit (two branches from the whole input) |
| ``shufflenetv1-unit:C=240,g=3`` | ShuffleNet V1's unit with its identity shortcut added (``g1=``: its first conv's groups, default g) |
| ``shufflenetv1-unit:Cin=240,C=480,g=3,s=2`` | its down-sampling unit (average-pool path, concat) |
| ``resnet-unit:Cin=64,C=128,s=2`` | ResNet's basic unit; a projection shortcut where s ≠ 1 or Cin ≠ C |
| ``resnet-bottleneck:Cin=256,C=512,mid=128,G=32,s=2`` | ResNet/ResNeXt bottleneck (stride on the 3×3 conv) |

The units are the ones the presets are made of (:mod:`igcdesign.nets.shufflenets`,
:mod:`igcdesign.nets.residual`), so what `check` says of a unit is what the network holds.
"""

from __future__ import annotations

from typing import Callable

from igcdesign.errors import SpecError, shown
from igcdesign.nets.model import Unit
from igcdesign.spec import parse_int, split_spec

MAX_UNIT_CHANNELS = 1 << 11  # a unit's path matrix is exact and dense: C_out × C_in int64 entries (32 MiB at most)


def _ints(family: str, items: dict[str, str], required: tuple[str, ...], optional: dict[str, int]) -> dict[str, int]:
    known = (*required, *optional)
    values: dict[str, int] = {}
    for key, raw in items.items():
        if key not in known:
            raise SpecError(f"unknown key '{shown(key)}' for {family} (known: {', '.join(known)})")
        values[key] = parse_int(raw, f"{family} {key}")
    missing = [key for key in required if key not in values]
    if missing:
        raise SpecError(f"{family} needs {', '.join(missing)}")
    for key, default in optional.items():
        values.setdefault(key, values.get("C", 1) if default is None else default)
    for key in ("C", "Cin", "mid"):
        if values.get(key, 0) > MAX_UNIT_CHANNELS:
            raise SpecError(f"{family} {key}: {values[key]:,} channels, at most {MAX_UNIT_CHANNELS:,} in a unit spec")
    if values.get("s", 1) not in (1, 2):
        raise SpecError(f"{family} s: 1 or 2, got {values['s']}")
    return values


def _text(family: str, values: dict[str, int], order: tuple[str, ...], omit: dict[str, int]) -> str:
    parts = [f"{key}={values[key]}" for key in order if key in values and omit.get(key) != values[key]]
    return f"{family}:{','.join(parts)}"


def shufflenetv2_unit(items: dict[str, str]) -> tuple[str, Unit]:
    from igcdesign.nets.shufflenets import shufflenet_v2_unit

    v = _ints("shufflenetv2-unit", items, ("C",), {"Cin": None, "s": 1})
    if v["s"] == 1 and v["Cin"] != v["C"]:
        raise SpecError(f"shufflenetv2-unit: at s=1 the unit keeps its width (Cin = C), got {v['Cin']} → {v['C']}")
    spec = _text("shufflenetv2-unit", v, ("Cin", "C", "s"), {"s": 1, "Cin": v["C"]})
    return spec, shufflenet_v2_unit(spec, v["Cin"], v["C"], v["s"] == 2)


def shufflenetv1_unit(items: dict[str, str]) -> tuple[str, Unit]:
    from igcdesign.nets.shufflenets import shufflenet_v1_unit

    v = _ints("shufflenetv1-unit", items, ("C",), {"Cin": None, "g": 3, "g1": 0, "s": 1})
    if v["s"] == 1 and v["Cin"] != v["C"]:
        raise SpecError(f"shufflenetv1-unit: at s=1 the unit keeps its width (Cin = C), got {v['Cin']} → {v['C']}")
    if v["g1"] == 0:  # pytorchcv's ignore_group (one group) in a network's first unit is g1=1
        v["g1"] = v["g"]
    spec = _text("shufflenetv1-unit", v, ("Cin", "C", "g", "g1", "s"), {"s": 1, "Cin": v["C"], "g1": v["g"]})
    return spec, shufflenet_v1_unit(spec, v["Cin"], v["C"], v["g"], v["s"] == 2, v["g1"])


def resnet_unit(items: dict[str, str]) -> tuple[str, Unit]:
    from igcdesign.nets.residual import basic_unit

    v = _ints("resnet-unit", items, ("C",), {"Cin": None, "s": 1})
    spec = _text("resnet-unit", v, ("Cin", "C", "s"), {"s": 1, "Cin": v["C"]})
    return spec, basic_unit(spec, v["Cin"], v["C"], v["s"])


def resnet_bottleneck(items: dict[str, str]) -> tuple[str, Unit]:
    from igcdesign.nets.residual import bottleneck_unit

    v = _ints("resnet-bottleneck", items, ("C",), {"Cin": None, "mid": 0, "G": 1, "s": 1})
    if v["mid"] == 0:
        v["mid"] = max(1, v["C"] // 4)
    spec = _text("resnet-bottleneck", v, ("Cin", "C", "mid", "G", "s"), {"s": 1, "G": 1, "Cin": v["C"], "mid": max(1, v["C"] // 4)})
    return spec, bottleneck_unit(spec, v["Cin"], v["C"], v["mid"], v["G"], v["s"], stride_first=False)


UNIT_SPECS: dict[str, Callable[[dict[str, str]], tuple[str, Unit]]] = {
    "shufflenetv2-unit": shufflenetv2_unit,
    "shufflenetv1-unit": shufflenetv1_unit,
    "resnet-unit": resnet_unit,
    "resnet-bottleneck": resnet_bottleneck,
}


def is_unit_spec(text: object) -> bool:
    """Whether a spec names one of the units above (by the name before ':')."""
    return isinstance(text, str) and text.strip().partition(":")[0].strip().lower() in UNIT_SPECS


def parse_unit(text: str) -> tuple[str, Unit]:
    """(canonical spec, Unit) of a unit spec; SpecError (one line) if malformed or invalid."""
    family, items = split_spec(text)
    if family not in UNIT_SPECS:
        raise SpecError(f"unknown unit '{shown(family)}' (known: {', '.join(UNIT_SPECS)})")
    return UNIT_SPECS[family](items)
