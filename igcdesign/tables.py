"""Width tables: for one parameter budget, how wide each IGC family gets, row by row.

IGCV1 (the paper's Table 1 made complete): for every M, the L whose block count is closest to the
budget (ties: fewer params); rows within ±tolerance % are kept, the widest flagged (largest
width, ties: fewer params). IGCV2: for each number n of 1×1 group convs after a channel-wise k×k
conv, the balanced-as-possible strictly complementary branch sizes (every K in {b, b+1},
∏K = C) closest to the budget; the row whose L = n + 1 is nearest the continuous optimum
1 + ln C is marked. IGCV3: for each (G1, G2), the width C (a multiple of G1·G2, the
super-channel rule) closest to the budget at the given expansion.

Every count comes from the family's chain (igcdesign.families, igcdesign.layers); the largest
fitting size from igcdesign.search; the continuous bounds from igcdesign.bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Sequence

from igcdesign.errors import IGCError, shown

TABLE_FAMILIES = ("igcv1", "igcv2", "igcv3")
DEFAULT_GROUPS = (1, 2, 4, 8)
MAX_TABLE_M = 20_000  # values of M an IGCV1 table scans; beyond, use `igcdesign widest`


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

    def widest(self) -> dict[str, Any] | None:
        return next((r for r in self.rows if r.get("widest")), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "budget": self.budget,
            "kernel": self.kernel,
            "tolerance_pct": self.tolerance,
            "rows": self.rows,
            "bound": self.bound,
            "notes": self.notes,
            **self.extra,
        }


def params_of(family: str, **config: Any) -> Any:
    """Weights of a block (ints or numpy arrays), from the family's chain: the one source of counts."""
    from igcdesign.families import FAMILIES
    from igcdesign.layers import chain_params

    return chain_params(FAMILIES[family].chain(**config))


def spec_of(family: str, **config: Any) -> str:
    """The canonical spec of a configuration (validated as `count` would)."""
    from igcdesign.families import FAMILIES

    return FAMILIES[family].make(**config).spec


def within(params: int, budget: int, tolerance: float) -> bool:
    """|params − budget| ≤ tolerance % of budget, decided exactly."""
    return abs(params - budget) * 100 <= Fraction(str(tolerance)) * budget


def closest(cost: Callable[[int], int], budget: int, below: int, lo: int = 1) -> int:
    """Of `below` (largest x with cost ≤ budget, or lo − 1) and below + 1, the one nearest the
    budget; ties go to fewer params (the smaller x)."""
    if below < lo:
        return lo
    over = cost(below + 1)
    return below if budget - cost(below) <= over - budget else below + 1


def mark_widest(rows: list[dict[str, Any]], eligible: Callable[[dict], bool] = lambda r: True) -> None:
    """Flag the eligible row of largest width, ties: fewer params (then earlier row)."""
    best = None
    for i, row in enumerate(rows):
        row["widest"] = False
        if eligible(row) and (best is None or (-row["width"], row["params"]) < (-rows[best]["width"], rows[best]["params"])):
            best = i
    if best is not None:
        rows[best]["widest"] = True


def regular_width(budget: int, k: int) -> int | None:
    """Width of the widest regular k×k conv within budget (the ratio's denominator)."""
    from igcdesign.search import widest_all

    return widest_all(budget, k, ["regular"])[0].width


def _ratio(width: int, regular: int | None) -> float | None:
    return width / regular if regular else None


def _deviation(params: int, budget: int) -> float:
    return 100.0 * (params - budget) / budget


# --- IGCV1 --------------------------------------------------------------------------------


def igcv1_table(budget: int, k: int = 3, tolerance: float = 5.0) -> WidthTable:
    """For every M, the L with params closest to budget; rows within ±tolerance %, widest flagged."""
    from igcdesign.bounds import igcv1_bound, regular_bound
    from igcdesign.search import igcv1_max_L, largest_at_most

    check_budget(budget)
    check_tolerance(tolerance)
    upper = budget + (Fraction(str(tolerance)) * budget) / 100
    regular = regular_width(budget, k)
    # beyond m_top even L = 1 is further above the budget than the tolerance allows
    m_top = largest_at_most(lambda M: params_of("igcv1", L=1, M=M, k=k), int(upper), (float(upper) / (k * k)) ** 0.5)
    if m_top > MAX_TABLE_M:
        raise IGCError(f"budget {budget:,} is too large for a full IGCV1 table ({m_top:,} values of M, "
                       f"limit {MAX_TABLE_M:,}); use `igcdesign widest`")
    rows: list[dict[str, Any]] = []
    for M in range(1, m_top + 1):
        cost = lambda L, M=M: params_of("igcv1", L=L, M=M, k=k)  # noqa: E731
        L = closest(cost, budget, igcv1_max_L(M, k, budget))
        p = cost(L)
        if within(p, budget, tolerance):
            rows.append({
                "L": L, "M": M, "params": p, "width": L * M,
                "ratio": _ratio(L * M, regular), "dev_pct": _deviation(p, budget),
                "spec": spec_of("igcv1", L=L, M=M, k=k),
            })
    rows.sort(key=lambda r: (r["L"], r["M"]))
    mark_widest(rows)
    bound = dict(igcv1_bound(budget, k))
    bound["regular_width"] = regular_bound(budget, k)["width"]
    bound["regular_width_int"] = regular
    return WidthTable("igcv1", budget, k, tolerance, rows, bound,
                      ["L", "M", "params", "width", "ratio", "dev_pct", "widest"])


# --- IGCV2 --------------------------------------------------------------------------------


def balanced(n: int, index: int) -> tuple[int, ...]:
    """The index-th balanced-as-possible branch sizes of n 1×1 convs, in increasing size:
    index = (b − 2)·n + j gives n − j branches of b and j of b + 1 (b ≥ 2)."""
    b, j = divmod(index, n)
    b += 2
    return (b + 1,) * j + (b,) * (n - j)


def _igcv2_cost(n: int, k: int) -> Callable[[int], int]:
    from math import prod

    def cost(index: int) -> int:
        K = balanced(n, index)
        return params_of("igcv2", K=(1, *K), k=k, C=prod(K))

    return cost


def igcv2_table(budget: int, k: int = 3, tolerance: float = 5.0) -> WidthTable:
    """For each number n ≥ 1 of 1×1 group convs, the balanced strictly complementary K closest
    to budget (K₁ = 1: the k×k conv is channel-wise)."""
    from math import prod

    from igcdesign.bounds import igcv2_bound
    from igcdesign.search import largest_at_most

    check_budget(budget)
    check_tolerance(tolerance)
    regular = regular_width(budget, k)
    bound = dict(igcv2_bound(budget, k))
    rows: list[dict[str, Any]] = []
    n = 1
    while _igcv2_cost(n, k)(0) <= budget:
        cost = _igcv2_cost(n, k)
        index = closest(cost, budget, largest_at_most(cost, budget, 0.0, lo=0), lo=0)
        K = (1, *balanced(n, index))
        C, p = prod(K), cost(index)
        rows.append({
            "L": n + 1, "n_1x1": n, "K": "x".join(map(str, K)), "width": C, "params": p,
            "ratio": _ratio(C, regular), "dev_pct": _deviation(p, budget),
            "within_tolerance": within(p, budget, tolerance), "near_ln_C": False,
            "spec": spec_of("igcv2", K=K, k=k),
        })
        n += 1
    mark_widest(rows, lambda r: r["within_tolerance"])
    if rows and bound.get("L"):
        nearest = min(rows, key=lambda r: (abs(r["L"] - bound["L"]), r["L"]))
        nearest["near_ln_C"] = True
    bound["ln_C"] = (bound["L"] - 1) if bound.get("L") else None
    return WidthTable("igcv2", budget, k, tolerance, rows, bound,
                      ["L", "n_1x1", "K", "width", "params", "ratio", "dev_pct", "within_tolerance", "near_ln_C", "widest"])


# --- IGCV3 --------------------------------------------------------------------------------


def igcv3_table(budget: int, k: int = 3, tolerance: float = 5.0, expansion: int = 6,
                groups: Sequence[int] = DEFAULT_GROUPS) -> WidthTable:
    """For each (G1, G2), the width C (multiple of G1·G2) closest to budget at expansion t."""
    from igcdesign.bounds import igcv3_bound
    from igcdesign.search import largest_at_most

    check_budget(budget)
    check_tolerance(tolerance)
    if expansion < 1:
        raise IGCError(f"--expansion must be positive, got {expansion}")
    if not groups or any(g < 1 for g in groups):
        raise IGCError("--groups must list positive integers")
    regular = regular_width(budget, k)
    rows: list[dict[str, Any]] = []
    for g1 in groups:
        for g2 in groups:
            unit = g1 * g2
            cost = lambda j, g1=g1, g2=g2, unit=unit: params_of(  # noqa: E731
                "igcv3", C=j * unit, t=expansion, G1=g1, G2=g2, k=k, Cout=j * unit)
            guess = igcv3_bound(budget, k, expansion, g1, g2)["width"] / unit
            j = closest(cost, budget, largest_at_most(cost, budget, guess))
            C, p = j * unit, cost(j)
            paths = expansion * C // unit
            rows.append({
                "G1": g1, "G2": g2, "C": C, "C_int": expansion * C, "width": C, "params": p,
                "C_s": unit, "paths": paths, "verdict": "strict" if paths == 1 else "relaxed",
                "ratio": _ratio(C, regular), "dev_pct": _deviation(p, budget),
                "within_tolerance": within(p, budget, tolerance),
                "bound_width": igcv3_bound(budget, k, expansion, g1, g2)["width"],
                "spec": spec_of("igcv3", C=C, t=expansion, G1=g1, G2=g2, k=k),
            })
    mark_widest(rows, lambda r: r["within_tolerance"])
    bound = {"width": igcv3_bound(budget, k, expansion, 2, 2)["width"], "G1": 2, "G2": 2, "t": expansion}
    return WidthTable("igcv3", budget, k, tolerance, rows, bound,
                      ["G1", "G2", "C", "C_int", "params", "C_s", "paths", "verdict", "ratio", "dev_pct", "within_tolerance", "widest"],
                      extra={"expansion": expansion})


# --- checks and dispatch ------------------------------------------------------------------


def check_budget(budget: int) -> None:
    if not isinstance(budget, int) or budget <= 0:
        raise IGCError(f"budget must be a positive integer, got {budget}")


def check_tolerance(tolerance: float) -> None:
    if not (0 <= tolerance <= 100):
        raise IGCError(f"--tolerance must be a percentage between 0 and 100, got {tolerance}")


def width_tables(budget: int, k: int = 3, families: Sequence[str] = ("igcv1",), tolerance: float = 5.0,
                 expansion: int = 6, groups: Sequence[int] = DEFAULT_GROUPS) -> list[WidthTable]:
    """The tables of the named families, in the order given."""
    builders = {
        "igcv1": lambda: igcv1_table(budget, k, tolerance),
        "igcv2": lambda: igcv2_table(budget, k, tolerance),
        "igcv3": lambda: igcv3_table(budget, k, tolerance, expansion, groups),
    }
    for name in families:
        if name not in builders:
            raise IGCError(f"unknown family '{shown(name)}' for a width table (known: {', '.join(TABLE_FAMILIES)}, all)")
    return [builders[name]() for name in families]
