"""Exact integer optima: the widest block of each family within a parameter budget.

Ties are broken by fewer params, then fewer layers and groups. Each family's search lives with
the family (igcdesign/families); this module runs them for the families asked, under the rule
in force (igcdesign.rules), and adds what every result carries: the count, the spec and the
width ratio to the regular conv. Every search is exact (tests compare it with brute force) and
plain Python, so `widest` imports neither numpy nor sympy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from igcdesign.errors import IGCError, shown
from igcdesign.families import FAMILIES, widest_families
from igcdesign.families.base import DesignOptions
from igcdesign.layers import convs
from igcdesign.rules import DEFAULT_RULE, acceptor

MAX_NEAR = 10_000


@dataclass
class WidestResult:
    """The widest block of one family under a budget; width None when no block fits."""

    family: str
    width: int | None
    params: int | None
    config: dict | None
    bound: dict
    layers: int | None = None
    ratio_to_regular: float | None = None
    spec: str | None = None
    note: str | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        d = {
            "family": self.family,
            "width": self.width,
            "params": self.params,
            "config": self.config,
            "bound": self.bound,
            "layers": self.layers,
            "ratio_to_regular": self.ratio_to_regular,
            "spec": self.spec,
        }
        if self.note:
            d["note"] = self.note
        d.update(self.extra)
        return d


def widest_family(family: str, budget: int, k: int, options: DesignOptions | None = None,
                  rule: str = DEFAULT_RULE) -> WidestResult:
    """The widest block of one family within `budget` params that the rule accepts."""
    options = options or DesignOptions()
    fam = FAMILIES[family]
    bound = fam.bound(budget, k, options)
    config = fam.widest_config(budget, k, options, acceptor(fam, rule))
    if config is None:
        smallest = fam.params(**fam.make(**fam.smallest_config(k, options)).config)
        note = f"too small: needs {smallest:,}" if smallest > budget else "no block the rule accepts fits"
        return WidestResult(family, None, None, None, bound, note=note)
    block = fam.make(**config)
    result = WidestResult(
        family=family,
        width=block.width,
        params=block.params(),
        config=fam.display_config(block.config),
        bound=bound,
        layers=len(convs(block.chain)),
        spec=block.spec,
    )
    result.extra.update(fam.named_widths(block.chain))
    return result


def widest_regular(budget: int, k: int) -> WidestResult:
    """The widest regular k×k conv within budget: the baseline of ratios and latency."""
    return widest_family("regular", budget, k)


def widest_all(
    budget: int,
    k: int,
    families: Sequence[str] | None = None,
    expansion: int = 6,
    g1: int = 2,
    g2: int = 2,
    rule: str = DEFAULT_RULE,
) -> list[WidestResult]:
    """The widest block of each family within `budget` params, with the width ratio to regular.

    `families` defaults to the registry's default rows of `widest`."""
    options = DesignOptions(expansion=expansion, g1=g1, g2=g2)
    wanted = list(families) if families else widest_families(default=True)
    for name in wanted:
        if name not in widest_families():
            raise IGCError(f"unknown family '{shown(name)}' for widest (choose from {', '.join(widest_families())})")
    regular = widest_regular(budget, k)
    results = [regular if name == "regular" else widest_family(name, budget, k, options, rule) for name in wanted]
    for result in results:
        if result.width and regular.width:
            result.ratio_to_regular = result.width / regular.width
    return results


def near_widest(
    budget: int, k: int, family: str, fraction: float, expansion: int = 6, g1: int = 2, g2: int = 2,
    limit: int = MAX_NEAR, rule: str = DEFAULT_RULE,
) -> list[dict]:
    """The `limit` widest blocks of `family` within budget whose width is at least (1 − fraction)
    × the widest, widest first (ties: fewer params), as {"width", "params", "config", "spec"}.

    IGCError where the IGCV2 walk would grow unreasonably large.
    """
    limit = min(limit, MAX_NEAR)
    options = DesignOptions(expansion=expansion, g1=g1, g2=g2)
    fam = FAMILIES[family]
    accept = acceptor(fam, rule)
    best = fam.widest_config(budget, k, options, accept)
    if best is None:
        return []
    width = fam.make(**best).width
    floor_width = max(1, math.ceil(width * (1 - fraction)))
    rows = []
    for config in fam.near_configs(budget, k, best, floor_width, limit, options, accept):
        block = fam.make(**config)
        rows.append({"width": block.width, "params": block.params(), "spec": block.spec,
                     "config": fam.display_config(block.config)})
    rows.sort(key=lambda row: (-row["width"], row["params"]))
    return rows[:limit]
