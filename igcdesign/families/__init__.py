"""The registry of block families, found by the name before the ':' of a spec."""

from igcdesign.errors import SpecError
from igcdesign.families.base import Family, make_chain
from igcdesign.families.chain import Chain
from igcdesign.families.dwsep import DWSep
from igcdesign.families.igcv1 import IGCV1
from igcdesign.families.igcv2 import IGCV2
from igcdesign.families.igcv3 import IGCV3, MobileNetV2
from igcdesign.families.regular import Regular

FAMILIES: dict[str, Family] = {
    f.name: f for f in (Regular(), DWSep(), IGCV1(), IGCV2(), IGCV3(), MobileNetV2(), Chain())
}


def get_family(name: str) -> Family:
    """The family called `name`, or SpecError naming the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise SpecError(f"unknown family '{name}' (known: {', '.join(FAMILIES)})") from None


__all__ = ["FAMILIES", "Family", "get_family", "make_chain"]
