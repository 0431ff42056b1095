"""Counts of a concrete block: params, mult_adds, mem_access and a per-layer breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from igcdesign.layers import GroupConv, chain_mem_access, chain_mult_adds, chain_params
from igcdesign.families.block import Block


@dataclass(frozen=True)
class BlockCount:
    """Everything `igcdesign count` reports about one block on an hw×hw output map."""

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "family": self.family,
            "width": self.width,
            "hw": self.hw,
            "params": self.params,
            "mult_adds": self.mult_adds,
            "mem_access": self.mem_access,
            "layers": self.layers,
            "width_out": self.width_out,
            **({"C_int": self.C_int} if self.C_int is not None else {}),
        }


def layer_row(layer, positions: int) -> dict[str, Any]:
    """One layer's description and costs."""
    row: dict[str, Any] = {"kind": layer.kind, "name": layer.name}
    if isinstance(layer, GroupConv):
        row.update(cin=layer.cin, cout=layer.cout, groups=layer.groups, k=layer.k)
    else:
        row.update(width=layer.width, groups=layer.groups)
    row.update(
        params=layer.params(),
        mult_adds=layer.mult_adds(positions),
        mem_access=layer.mem_access(positions),
    )
    return row


def count_block(block: Block | str, hw: int = 32) -> BlockCount:
    """Count a block (a Block or a spec string such as 'igcv1:L=4,M=8') whose convs all produce
    an hw×hw map (stride 1)."""
    from igcdesign.families import as_block
    from igcdesign.validate import check_hw

    block = as_block(block)
    positions = check_hw(hw) * hw
    return BlockCount(
        spec=block.spec,
        family=block.family,
        width=block.width,
        hw=hw,
        params=chain_params(block.chain),
        mult_adds=chain_mult_adds(block.chain, positions),
        mem_access=chain_mem_access(block.chain, positions),
        layers=[layer_row(layer, positions) for layer in block.chain],
        width_out=[layer for layer in block.chain if isinstance(layer, GroupConv)][-1].cout,
        C_int=_named_widths(block).get("C_int"),
    )


def _named_widths(block: Block) -> dict[str, Any]:
    """Internal widths the block's family names (IGCV3's C_int), read off its chain."""
    from igcdesign.families import FAMILIES

    family = FAMILIES.get(block.family)
    return family.named_widths(block.chain) if family is not None else {}
