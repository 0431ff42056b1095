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

from igcdesign.constraints import Constraints
from igcdesign.errors import IGCError, SpecError, shown
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


def constrained_acceptor(fam, rule: str, constraints: Constraints):
    """accept(config): valid, accepted by the rule, and meeting every constraint in force."""
    accept = acceptor(fam, rule)
    if not constraints.active():
        return accept

    def admitted(config: dict) -> bool:
        try:
            block = fam.make(**config)
        except SpecError:
            return False
        return bool(constraints.admits(block.chain, block.width)) and accept(config)

    return admitted


def widest_family(family: str, budget: int, k: int, options: DesignOptions | None = None,
                  rule: str = DEFAULT_RULE) -> WidestResult:
    """The widest block of one family within `budget` params that the rule accepts and that
    meets the constraints of `options` (igcdesign.constraints)."""
    options = options or DesignOptions()
    fam = FAMILIES[family]
    bound = fam.bound(budget, k, options)
    config = fam.widest_config(budget, k, options, constrained_acceptor(fam, rule, options.constraints))
    if config is None:
        smallest = min(fam.params(**fam.make(**c).config) for c in fam.smallest_configs(k, options))
        if smallest > budget:
            note = f"too small: needs {smallest:,}"
        elif options.constraints.active():
            note = "no block the rule and the constraints accept fits"
        else:
            note = "no block the rule accepts fits"
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


def widest_regular(budget: int, k: int, constraints: Constraints = Constraints()) -> WidestResult:
    """The widest regular k×k conv within budget (and the constraints): the baseline of ratios
    and latency."""
    return widest_family("regular", budget, k, DesignOptions(constraints=constraints))


Values = int | str | Sequence[int]
MAX_EXPANSION = 1 << 10
MAX_GROUPS = 1 << 20
MAX_VALUES = 64  # values of t, G1 or G2 one search ranges over
MAX_SETTINGS = 4096  # (t, G1, G2) combinations one search ranges over


def igcv3_values(value: Values, option: str, high: int) -> tuple[int, ...]:
    """IGCV3's t, G1 or G2 as the search takes it: one whole number, text such as '6', '1-6' or
    '1,2,4' (igcdesign.numbers.parse_whole_ranges), or a sequence of whole numbers; IGCError
    (one line naming `option`) for anything else or out of [1, high]."""
    from igcdesign.numbers import parse_whole_ranges

    if isinstance(value, str):
        return parse_whole_ranges(value, option, MAX_VALUES, high=high)
    items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        items = list(items)
    except TypeError:
        raise IGCError(f"{option}: expected a whole number, a range or a list of them, got {type(value).__name__}") from None
    if not 1 <= len(items) <= MAX_VALUES:
        raise IGCError(f"{option}: give between 1 and {MAX_VALUES} values, got {len(items):,}")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= high:
            raise IGCError(f"{option} must be between 1 and {high:,}, got {item!r}")
    return tuple(dict.fromkeys(items))


def design_options(expansion: Values = 6, g1: Values = 2, g2: Values = 2,
                   constraints: Constraints | None = None) -> DesignOptions:
    """DesignOptions for widest: each IGCV3 value one int or the values its search ranges over
    (see :func:`igcv3_values`); IGCError past MAX_SETTINGS combinations."""
    ts = igcv3_values(expansion, "--expansion", MAX_EXPANSION)
    a, b = igcv3_values(g1, "--g1", MAX_GROUPS), igcv3_values(g2, "--g2", MAX_GROUPS)
    if len(ts) * len(a) * len(b) > MAX_SETTINGS:
        raise IGCError(f"--expansion, --g1, --g2: {len(ts) * len(a) * len(b):,} IGCV3 settings, at most {MAX_SETTINGS:,}")
    return DesignOptions(expansion=ts[0], g1=a[0], g2=b[0], expansions=ts if len(ts) > 1 else (),
                         g1s=a if len(a) > 1 else (), g2s=b if len(b) > 1 else (),
                         constraints=constraints or Constraints())


def widest_all(
    budget: int,
    k: int,
    families: Sequence[str] | None = None,
    expansion: Values = 6,
    g1: Values = 2,
    g2: Values = 2,
    rule: str = DEFAULT_RULE,
    constraints: Constraints | None = None,
) -> list[WidestResult]:
    """The widest block of each family within `budget` params, with the width ratio to regular.

    `families` defaults to the registry's default rows of `widest`; IGCV3's `expansion`, `g1`
    and `g2` are each one value or the values its search ranges over; `constraints` hold for
    every family, the regular baseline included. With constraints, each result's
    `narrowed_by` names those whose removal (the others kept) would give a wider block."""
    options = design_options(expansion, g1, g2, constraints)
    wanted = list(families) if families else widest_families(default=True)
    for name in wanted:
        if name not in widest_families():
            raise IGCError(f"unknown family '{shown(name)}' for widest (choose from {', '.join(widest_families())})")
    regular = widest_regular(budget, k, options.constraints)
    results = [regular if name == "regular" else widest_family(name, budget, k, options, rule) for name in wanted]
    for result in results:
        if result.width and regular.width:
            result.ratio_to_regular = result.width / regular.width
        if options.constraints.active():
            result.extra["narrowed_by"] = narrowed_by(result, budget, k, options, rule)
    return results


def search_document(options: DesignOptions, families: Sequence[str]) -> dict:
    """What narrowed the search, for output: the constraints in force (by name and in words) and,
    when IGCV3 is searched, the (t, G1, G2) values it ranged over."""
    doc: dict = {"constraints": options.constraints.active(), "constraints_meaning": options.constraints.describe()}
    if "igcv3" in families:
        doc["igcv3_search"] = {"t": list(options.expansions or (options.expansion,)),
                               "G1": list(options.g1s or (options.g1,)), "G2": list(options.g2s or (options.g2,))}
    return doc


def narrowed_by(result: WidestResult, budget: int, k: int, options: DesignOptions, rule: str) -> list[str]:
    """The constraints in force whose removal alone would let the family go wider."""
    from dataclasses import replace

    names = []
    for name in options.constraints.active():
        loose = replace(options, constraints=options.constraints.without(name))
        if (widest_family(result.family, budget, k, loose, rule).width or 0) > (result.width or 0):
            names.append(name)
    return names


def near_widest(
    budget: int, k: int, family: str, fraction: float, expansion: Values = 6, g1: Values = 2, g2: Values = 2,
    limit: int = MAX_NEAR, rule: str = DEFAULT_RULE, constraints: Constraints | None = None,
) -> list[dict]:
    """The `limit` widest blocks of `family` within budget whose width is at least (1 − fraction)
    × the widest, widest first (ties: fewer params), as {"width", "params", "config", "spec"}.

    IGCError where the IGCV2 walk would grow unreasonably large.
    """
    return near_widest_options(budget, k, family, fraction, design_options(expansion, g1, g2, constraints),
                               limit=limit, rule=rule)


def near_widest_options(budget: int, k: int, family: str, fraction: float, options: DesignOptions,
                        limit: int = MAX_NEAR, rule: str = DEFAULT_RULE) -> list[dict]:
    """:func:`near_widest` with the family options (IGCV3's ranges, the constraints) given whole."""
    limit = min(limit, MAX_NEAR)
    fam = FAMILIES[family]
    accept = constrained_acceptor(fam, rule, options.constraints)
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
