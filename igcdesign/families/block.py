"""A concrete block: what parsing a spec (or calling a family's ``make``) produces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Block:
    """A concrete block: its family, its configuration, and the chain that every tool reads."""

    family: str
    config: dict[str, Any]
    chain: tuple
    width: int
    spec: str

    def params(self) -> int:
        from igcdesign.layers import chain_params

        return chain_params(self.chain)
