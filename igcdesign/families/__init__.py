"""The registry of block families, found by the name before the ':' of a spec, and
:func:`parse_block`, which turns a spec into a :class:`Block` through its family.

Every list of families a command offers (`widest`, `table`, `space`, `derive`) is read from
here, by what each family `supports`; adding a family is one module and one line below.
"""

from igcdesign.errors import SpecError, shown
from igcdesign.families.base import DesignOptions, Family, make_chain
from igcdesign.families.block import Block
from igcdesign.families.chain import Chain
from igcdesign.families.dwsep import DWSep
from igcdesign.families.igcv1 import IGCV1
from igcdesign.families.igcv2 import IGCV2
from igcdesign.families.igcv3 import IGCV3, MobileNetV2
from igcdesign.families.regular import Regular
from igcdesign.families.shufflenet import ShuffleNetV1

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (Regular(), DWSep(), IGCV1(), IGCV2(), IGCV3(), MobileNetV2(), Chain(), ShuffleNetV1())
}


def get_family(name: str) -> Family:
    """The family called `name`, or SpecError naming the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise SpecError(f"unknown family '{shown(name)}' (known: {', '.join(FAMILIES)})") from None


def parse_block(text: str) -> Block:
    """Parse and validate a block spec of any family ('igcv1:L=4,M=8', docs/conventions.md §3); SpecError if invalid."""
    from igcdesign.spec import split_spec

    family_name, items = split_spec(text)
    family = get_family(family_name)
    return family.block(family.parse(items))


def as_block(spec_or_block: "str | Block") -> Block:
    """A Block from a spec string or a Block (returned as it is); SpecError for anything else."""
    if isinstance(spec_or_block, Block):
        return spec_or_block
    if isinstance(spec_or_block, str):
        return parse_block(spec_or_block)
    raise SpecError(f"expected a block spec string or a Block, got {type(spec_or_block).__name__}")


def chain_of(target) -> tuple:
    """The chain of a spec string or a Block; a chain (a sequence of layers) as a tuple."""
    if isinstance(target, (str, Block)):
        return as_block(target).chain
    return tuple(target)


def families_supporting(what: str) -> list[str]:
    """Names of the families that take part in `what` ('widest', 'table', 'space', 'derive')."""
    return [name for name, family in FAMILIES.items() if what in family.supports]


def widest_families(default: bool = False) -> list[str]:
    """Families with a widest search; with default=True the rows `widest` shows unasked."""
    return [name for name in families_supporting("widest") if not default or FAMILIES[name].widest_by_default]


def named_families(values, known: list[str], what: str = "") -> list[str]:
    """The families named by `values` (one name, names that may hold comma lists, or 'all' for
    every one of `known`), in order, once each; SpecError naming the known ones (`what` says
    for what) on an unknown name."""
    names: list[str] = []
    for value in [values] if isinstance(values, str) else values:
        for name in str(value).split(","):
            name = name.strip().lower()
            if name == "all":
                return list(known)
            if name not in known:
                raise SpecError(f"unknown family '{shown(name)}'{what} (choose from {', '.join(known)}, all)")
            if name not in names:
                names.append(name)
    return names


def chosen_widest_families(values) -> list[str] | None:
    """The families named by --family (or the API's `family=`): one name, names that may hold
    comma lists, or 'all' for every family with a widest search; None when nothing is named."""
    if not values:
        return None
    return named_families(values, widest_families())


__all__ = ["FAMILIES", "Block", "DesignOptions", "Family", "as_block", "chain_of", "chosen_widest_families", "named_families",
           "families_supporting", "get_family", "make_chain", "parse_block", "widest_families"]
