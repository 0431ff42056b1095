"""Family formulas obtained by evaluating each family's chain on symbols: never typed by hand."""

from __future__ import annotations

import sympy as sp

from igcdesign.families import FAMILIES
from igcdesign.layers import chain_mem_access, chain_mult_adds, chain_params
from igcdesign.symbolic import symbols as sy


def family_chain(family: str, **overrides):
    """The chain of a family with every configuration value a symbol (or an override)."""
    fam = FAMILIES[family]
    return fam.chain(**{**fam.symbolic_config(), **overrides})


def family_costs(family: str, **overrides) -> dict[str, sp.Expr]:
    """params, mult_adds and mem_access of a family as expressions in its symbols and P = H·W.

    Shuffles count as moving data (general position: g ≠ 1 and g ≠ C).
    """
    chain = family_chain(family, **overrides)
    return {
        "params": sp.expand(chain_params(chain)),
        "mult_adds": sp.expand(chain_mult_adds(chain, sy.P)),
        "mem_access": sp.expand(chain_mem_access(chain, sy.P)),
    }
