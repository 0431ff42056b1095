"""IGCV2 against depth: at each number of group convs, the widest block within a budget.

The blocks are strictly complementary IGCV2 chains with a channel-wise k×k conv (K₁ = 1)
followed by n 1×1 group convs with K₂ … K_n+1 ≥ 2 channels per branch: width C = ∏K and
params the IGCV2 family's cost (`IGCV2.channelwise_cost`, the generated `igcv2_layer_params` per
layer; C·(S + ΣK), linear in C). For each n the widest C within the budget is found exactly by a
branch-and-bound over non-decreasing branch sizes (ties: fewer params), so a curve of width
against depth never leaves the budget (`plot igcv2-depth`, the report's depth section).
"""

from __future__ import annotations

import math
from typing import Any

from igcdesign.errors import IGCError
from igcdesign.families import FAMILIES

NODE_LIMIT = 2_000_000  # search nodes per depth; the bound prunes far below this at 1e12 params
MAX_BUDGET = 10**12  # every depth searched in about 5 s at 1e12 (33 depths)


def _cost(k: int):
    """cost(C, s): the IGCV2 family's params at width C with 1×1 branch sizes summing to s."""
    return FAMILIES["igcv2"].channelwise_cost(k)


def _largest_last(budget: int, p: int, s: int, cost, least: int) -> int:
    """The largest f ≥ least with cost(p·f, s + f) ≤ budget, or 0."""
    a = cost(1, s)  # the cost is linear in C: cost(C, s) = C·a
    room = budget // p  # a first guess solving f·(a + f) ≤ room; the cost settles it exactly
    f = max((math.isqrt(a * a + 4 * room) - a) // 2, 0)
    while f > 0 and cost(p * f, s + f) > budget:
        f -= 1
    while cost(p * (f + 1), s + f + 1) <= budget:
        f += 1
    return f if f >= least else 0


def _ceiling(budget: int, p: int, s: int, cost, left: int, least: int) -> float:
    """An upper bound on the width p·X of any completion by `left` branches ≥ least.

    With Y the sum of those branches, X ≤ (Y/left)^left (AM-GM) and cost(p·X, s + Y) ≤ budget, so
    p·X ≤ min(p·(Y/left)^left, budget/cost(1, s + Y)) (the cost is linear in the width): the first
    grows with Y, the second falls, and the bound is the second at the Y where they cross (found
    by bisection, rounded up).
    """
    lo = left * least
    if cost(p * (lo / left) ** left, s + lo) >= budget:
        return budget / cost(1, s + lo)
    hi = max(lo * 2, 4)
    while cost(p * (hi / left) ** left, s + hi) < budget:
        hi *= 2
    for _ in range(80):
        mid = (lo + hi) / 2
        if cost(p * (mid / left) ** left, s + mid) < budget:
            lo = mid
        else:
            hi = mid
    return budget / cost(1, s + lo) * (1 + 1e-9)


def _balanced_start(budget: int, cost, n: int) -> tuple[int, ...] | None:
    """The widest within budget among branch sizes that differ by at most one: a first answer
    for the search to beat."""
    best = None
    b = 2
    while cost(b ** n, n * b) <= budget:
        for j in range(n + 1):
            K = (b,) * (n - j) + (b + 1,) * j
            if cost(math.prod(K), sum(K)) <= budget:
                best = K
        b += 1
    return best


def widest_at_depth(budget: int, k: int, n: int) -> tuple[int, ...] | None:
    """Branch sizes (K₂ ≤ … ≤ K_n+1, each ≥ 2) of the widest block with n 1×1 convs whose params
    (the family's cost, C·(S + ΣK)) are within `budget` (ties: fewer params); None when none fits."""
    if n < 1:
        raise IGCError(f"an IGCV2 block with {n} 1×1 convs")
    cost = _cost(k)
    best: list[Any] = [0, 0, None]  # width, params, branch sizes
    nodes = 0

    def consider(K: tuple[int, ...]) -> None:
        C = math.prod(K)
        params = cost(C, sum(K))
        if C > best[0] or (C == best[0] and params < best[1]):
            best[:] = [C, params, K]

    start = _balanced_start(budget, cost, n)
    if start is None:
        return None
    consider(start)

    def dfs(prefix: tuple[int, ...], p: int, s: int, least: int, left: int) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > NODE_LIMIT:
            raise IGCError(f"the IGCV2 depth search for {n} 1×1 convs grew past {NODE_LIMIT:,} nodes")
        if left == 1:
            f = _largest_last(budget, p, s, cost, least)
            if f:
                consider(prefix + (f,))
            return
        f = least
        # the cheapest completion (every remaining branch f) fits, and could be at least as wide
        while cost(p * f ** left, s + left * f) <= budget and _ceiling(budget, p, s, cost, left, f) >= best[0]:
            dfs(prefix + (f,), p * f, s + f, f, left - 1)
            f += 1

    dfs((), 1, 0, 2, n)
    return tuple(sorted(best[2]))


def depth_rows(budget: int, k: int = 3) -> list[dict[str, Any]]:
    """One row per depth L = n + 1 at which a block fits: the widest block within `budget` with
    its width, params, deviation from the budget (%), width over the widest regular conv's, and
    its spec; `widest` marks the widest row (ties: fewer params, then fewer convs)."""
    from igcdesign.layers import chain_params
    from igcdesign.tables import regular_width

    if not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise IGCError(f"the IGCV2 depth table takes budgets from 1 to {MAX_BUDGET:.0e}, got {budget:,}")
    regular = regular_width(budget, k)
    rows: list[dict[str, Any]] = []
    cost = _cost(k)
    n = 1
    while cost(2 ** n, 2 * n) <= budget:  # the cheapest block of depth n + 1: every K = 2
        found = widest_at_depth(budget, k, n)
        if found is None:
            break
        K = (1, *sorted(found, reverse=True))
        block = FAMILIES["igcv2"].make(K=K, k=k)
        params = int(chain_params(block.chain))
        rows.append({
            "L": n + 1, "n_1x1": n, "K": "x".join(map(str, K)), "width": block.width, "params": params,
            "dev_pct": 100.0 * (params - budget) / budget,
            "ratio": block.width / regular if regular else None,
            "spec": block.spec, "near_ln_C": False, "widest": False,
        })
        n += 1
    if rows:
        best = max(rows, key=lambda r: (r["width"], -r["params"], -r["L"]))
        best["widest"] = True
    return rows


def mark_near_ln_C(rows: list[dict[str, Any]], L: float | None) -> None:
    """Mark the row whose depth is nearest the continuous optimum L = 1 + ln C (ties: shallower)."""
    if rows and L:
        min(rows, key=lambda r: (abs(r["L"] - L), r["L"]))["near_ln_C"] = True
