"""Counts of a concrete block: params, mult_adds, mem_access and a per-layer breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from igcdesign.errors import SpecError
from igcdesign.layers import GroupConv, chain_params, layer_sides
from igcdesign.families.block import Block


@dataclass(frozen=True)
class BlockCount:
    """Everything `igcdesign count` reports about one block entered at an hw×hw map (each layer
    costed at its own output map; hw_out is the block's output side)."""

    spec: str
    family: str
    width: int
    hw: int
    params: int
    mult_adds: int
    mem_access: int
    layers: list[dict[str, Any]] = field(default_factory=list)
    width_out: int | None = None
    C_int: int | None = None
    hw_out: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "family": self.family,
            "width": self.width,
            "hw": self.hw,
            "hw_out": self.hw_out,
            "params": self.params,
            "mult_adds": self.mult_adds,
            "mem_access": self.mem_access,
            "layers": self.layers,
            "width_out": self.width_out,
            **({"C_int": self.C_int} if self.C_int is not None else {}),
        }


def layer_row(layer, positions: int, in_positions: int | None = None, hw: int | None = None) -> dict[str, Any]:
    """One layer's description and costs on `positions` output pixels (`in_positions` input
    pixels, by default positions·stride²); `hw`, when given, is its output side."""
    row: dict[str, Any] = {"kind": layer.kind, "name": layer.name}
    if isinstance(layer, GroupConv):
        row.update(cin=layer.cin, cout=layer.cout, groups=layer.groups, k=layer.k, stride=layer.stride)
    else:
        row.update(width=layer.width, groups=layer.groups)
    if hw is not None:
        row["hw"] = hw
    row.update(params=layer.params(), mult_adds=layer.mult_adds(positions), mem_access=layer.mem_access(positions, in_positions))
    return row


def block_sides(block: Block, hw: int) -> list[tuple[Any, int, int]]:
    """(layer, input side, output side) of every layer of the block entered at hw×hw; SpecError
    when a stride is larger than the map it meets."""
    try:
        return layer_sides(block.chain, hw)
    except ValueError as e:
        raise SpecError(f"{block.spec} on a {hw}×{hw} map: {e}") from None


def count_block(block: Block | str, hw: int = 32) -> BlockCount:
    """Count a block (a Block or a spec string such as 'igcv1:L=4,M=8,s=2') entered at an hw×hw
    map; each layer is costed at its own output map (docs/conventions.md §1)."""
    from igcdesign.families import as_block
    from igcdesign.validate import check_hw

    block = as_block(block)
    check_hw(hw)
    rows = [layer_row(layer, out * out, side * side, out) for layer, side, out in block_sides(block, hw)]
    return BlockCount(
        spec=block.spec,
        family=block.family,
        width=block.width,
        hw=hw,
        params=chain_params(block.chain),
        mult_adds=sum(row["mult_adds"] for row in rows),
        mem_access=sum(row["mem_access"] for row in rows),
        layers=rows,
        width_out=[layer for layer in block.chain if isinstance(layer, GroupConv)][-1].cout,
        C_int=_named_widths(block).get("C_int"),
        hw_out=rows[-1]["hw"] if rows else hw,
    )


def _named_widths(block: Block) -> dict[str, Any]:
    """Internal widths the block's family names (IGCV3's C_int), read off its chain."""
    from igcdesign.families import FAMILIES

    family = FAMILIES.get(block.family)
    return family.named_widths(block.chain) if family is not None else {}
