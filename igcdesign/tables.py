"""Width tables: for one parameter budget, how wide each family gets, row by row.

The rows are each family's (`Family.table_part`, with the family): IGCV1 (the paper's Table 1
made complete) one per M, the L whose count is closest to the budget, rows within ±tolerance %;
IGCV2 one per number of 1×1 group convs, balanced branch sizes; IGCV3 one per (G1, G2) and
ShuffleNet V1 one per g, the width closest to the budget. Only blocks the rule in force accepts
(igcdesign.rules) are rows. This module adds what every row carries, from the row's chain:
params (counting), verdict, paths and super-channels (igcdesign.verdicts), named widths, the
spec, and the widest mark: the widest row within the budget (ties: fewer params), as `widest`
means it. A row over the budget is shown with within_budget false, never marked widest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from igcdesign.errors import IGCError, shown
from igcdesign.families import FAMILIES, families_supporting
from igcdesign.families.base import DesignOptions
from igcdesign.families.integers import within
from igcdesign.rules import DEFAULT_RULE, RULES, acceptor, check_rule, rule_text

DEFAULT_GROUPS = (1, 2, 4, 8)


@dataclass
class WidthTable:
    """One family's rows at one budget, with the continuous bound and remarks."""

    family: str
    budget: int
    kernel: int
    tolerance: float
    rows: list[dict[str, Any]]
    bound: dict[str, Any]
    columns: list[str]
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    rule: str = DEFAULT_RULE

    def widest(self) -> dict[str, Any] | None:
        return next((r for r in self.rows if r.get("widest")), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "budget": self.budget,
            "kernel": self.kernel,
            "tolerance_pct": self.tolerance,
            "rule": self.rule,
            "rule_meaning": rule_text(FAMILIES[self.family], self.rule),
            "rows": self.rows,
            "bound": self.bound,
            "notes": self.notes,
            **self.extra,
        }


def mark_widest(rows: list[dict[str, Any]], budget: int) -> None:
    """Flag the row of largest width within the budget, ties: fewer params (then earlier row)."""
    best = None
    for i, row in enumerate(rows):
        row["widest"] = False
        if row["params"] <= budget and (best is None or (-row["width"], row["params"]) < (-rows[best]["width"], rows[best]["params"])):
            best = i
    if best is not None:
        rows[best]["widest"] = True


def with_widest(part: dict[str, Any]) -> list[dict[str, Any]]:
    """The family's rows, with its widest block within the budget added (in order) where the
    rows nearest the budget left it out: the row the widest mark must fall on."""
    rows = list(part["rows"])
    widest = part.get("widest")
    if widest is not None and all(r["config"] != widest["config"] for r in rows):
        rows.append(widest)
    return rows


def regular_width(budget: int, k: int) -> int | None:
    """Width of the widest regular k×k conv within budget (the ratio's denominator)."""
    from igcdesign.search import widest_regular

    return widest_regular(budget, k).width


def width_table(family: str, budget: int, k: int = 3, tolerance: float = 5.0, expansion: int = 6,
                groups: Sequence[int] = DEFAULT_GROUPS, rule: str = DEFAULT_RULE) -> WidthTable:
    """The width table of one family (see the module docstring)."""
    from igcdesign.verdicts import block_verdict

    check_budget(budget)
    check_tolerance(tolerance)
    rule = check_rule(rule)
    if expansion < 1:
        raise IGCError(f"--expansion must be positive, got {expansion}")
    if not groups or any(g < 1 for g in groups):
        raise IGCError("--groups must list positive integers")
    if family not in families_supporting("table"):
        raise IGCError(f"unknown family '{shown(family)}' for a width table (known: {', '.join(families_supporting('table'))}, all)")
    fam = FAMILIES[family]
    options = DesignOptions(expansion=expansion, groups=tuple(groups))
    part = fam.table_part(budget, k, tolerance, options, acceptor(fam, rule))
    regular = regular_width(budget, k)
    rows = []
    for source in with_widest(part):
        row = dict(source)
        block = fam.make(**row.pop("config"))
        params, width = block.params(), block.width
        verdict = block_verdict(fam, block.config)
        computed = {
            "params": params, "width": width, **fam.named_widths(block.chain),
            "verdict": verdict.verdict, "paths": verdict.paths, "C_s": verdict.super_channels,
            "ratio": width / regular if regular else None,
            "dev_pct": 100.0 * (params - budget) / budget,
            "within_tolerance": within(params, budget, tolerance),
            "within_budget": params <= budget,
            "spec": block.spec,
        }
        for key, value in computed.items():
            row.setdefault(key, value)
        rows.append(row)
    order = part.get("order", ())
    rows.sort(key=lambda r: tuple(r[key] for key in order))
    mark_widest(rows, budget)
    bound = dict(part["bound"])
    if family == "igcv1":
        from igcdesign.search import widest_regular

        bound["regular_width"] = FAMILIES["regular"].bound(budget, k, options)["width"]
        bound["regular_width_int"] = widest_regular(budget, k).width
    return WidthTable(family, budget, k, tolerance, rows, bound, list(part["columns"]),
                      extra=dict(part.get("extra", {})), rule=rule)


def igcv1_table(budget: int, k: int = 3, tolerance: float = 5.0, rule: str = DEFAULT_RULE) -> WidthTable:
    return width_table("igcv1", budget, k, tolerance, rule=rule)


def igcv2_table(budget: int, k: int = 3, tolerance: float = 5.0, rule: str = DEFAULT_RULE) -> WidthTable:
    return width_table("igcv2", budget, k, tolerance, rule=rule)


def igcv3_table(budget: int, k: int = 3, tolerance: float = 5.0, expansion: int = 6,
                groups: Sequence[int] = DEFAULT_GROUPS, rule: str = DEFAULT_RULE) -> WidthTable:
    return width_table("igcv3", budget, k, tolerance, expansion, groups, rule)


# --- checks and dispatch ------------------------------------------------------------------


def check_budget(budget: int) -> None:
    if not isinstance(budget, int) or budget <= 0:
        raise IGCError(f"budget must be a positive integer, got {budget}")


def check_tolerance(tolerance: float) -> None:
    if not (0 <= tolerance <= 100):
        raise IGCError(f"--tolerance must be a percentage between 0 and 100, got {tolerance}")


def table_families() -> list[str]:
    """The families that have a width table, in registry order."""
    return families_supporting("table")


def width_tables(budget: int, k: int = 3, families: Sequence[str] = ("igcv1",), tolerance: float = 5.0,
                 expansion: int = 6, groups: Sequence[int] = DEFAULT_GROUPS,
                 rule: str = DEFAULT_RULE) -> list[WidthTable]:
    """The tables of the named families, in the order given."""
    known = table_families()
    for name in families:
        if name not in known:
            raise IGCError(f"unknown family '{shown(name)}' for a width table (known: {', '.join(known)}, all)")
    return [width_table(name, budget, k, tolerance, expansion, groups, rule) for name in families]


__all__ = ["RULES", "WidthTable", "width_table", "width_tables", "table_families"]


def add_predicted(tables: Sequence[WidthTable], profile, hw: int = 32, batch: int = 1) -> None:
    """Give every row a predicted_ms column: igcdesign.latency's prediction of its block on
    `profile` (hw×hw maps, `batch`); the table's columns name it before the widest mark."""
    from igcdesign.latency import predict

    for table in tables:
        for row in table.rows:
            row["predicted_ms"] = predict(row["spec"], hw=hw, batch=batch, profile=profile).predicted_ms
        if "predicted_ms" not in table.columns:
            at = table.columns.index("widest") if "widest" in table.columns else len(table.columns)
            table.columns.insert(at, "predicted_ms")
        table.extra["latency"] = {"hw": hw, "batch": batch, "profile": profile.fingerprint.describe()}
