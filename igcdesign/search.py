"""Exact integer optima: the widest block of each family within a parameter budget.

Ties are broken by fewer params, then fewer layers and groups. Every search is exact (tests
compare it with brute force) and fast for budgets up to 10¹⁸, because none of them sieves up to
the budget: IGCV1 scans only the M whose continuous width can still beat the best found,
IGCV2 walks factorisations in a pruned depth-first search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

from igcdesign import bounds
from igcdesign import formulas as f
from igcdesign.families import FAMILIES
from igcdesign.layers import chain_params, convs

FAMILY_ORDER = ("regular", "dwsep", "igcv1", "igcv2", "igcv3")


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


def largest_at_most(cost: Callable[[int], int], budget: int, guess: float, lo: int = 1) -> int:
    """The largest integer x ≥ lo with cost(x) ≤ budget (cost increasing), or lo − 1 if none.

    `guess` (a real root) only says where to start; the answer is settled with exact integers.
    """
    if cost(lo) > budget:
        return lo - 1
    x = max(lo, int(guess) if math.isfinite(guess) else lo)
    step = 1
    while cost(x) > budget:  # guess too high: walk down, doubling
        x = max(lo, x - step)
        step *= 2
    step = 1
    while cost(x + step) <= budget:  # gallop up, then back to single steps
        x += step
        step *= 2
    while step > 1:
        step //= 2
        if cost(x + step) <= budget:
            x += step
    return x


def _block_params(family: str, **config) -> int:
    return chain_params(FAMILIES[family].chain(**config))


# --- regular and depthwise-separable baselines ------------------------------------------


def widest_regular(budget: int, k: int) -> WidestResult:
    cost = lambda c: _block_params("regular", C=c, k=k)  # noqa: E731
    C = largest_at_most(cost, budget, f.regular_C_root(k, budget))
    return _result("regular", {"C": C, "k": k} if C else None, C, bounds.regular_bound(budget, k), cost(1))


def widest_dwsep(budget: int, k: int) -> WidestResult:
    cost = lambda c: _block_params("dwsep", C=c, k=k)  # noqa: E731
    C = largest_at_most(cost, budget, f.dwsep_C_root(k, budget))
    return _result("dwsep", {"C": C, "k": k} if C else None, C, bounds.dwsep_bound(budget, k), cost(1))


# --- IGCV1 -------------------------------------------------------------------------------


def igcv1_max_L(M: int, k: int, budget: int) -> int:
    """The largest L with an IGCV1 block (L, M) within budget, 0 if even L = 1 is too big."""
    return largest_at_most(lambda L: _block_params("igcv1", L=L, M=M, k=k), budget, f.igcv1_L_root(M, k, budget))


def igcv1_optimum(budget: int, k: int) -> tuple[int, int] | None:
    """(L, M) of the widest IGCV1 block within budget, or None.

    Every block of maximal width has L = igcv1_max_L(M) for its M, so only those are compared.
    The real width M·L_root(M) is an upper bound on the integer width at M and is unimodal in
    M with its peak at the continuous optimum, so the scan leaves each side of the peak as soon
    as that bound falls below the best width found.
    """
    if _block_params("igcv1", L=1, M=1, k=k) > budget:
        return None
    peak = max(1, round(f.igcv1_bound_M(budget, k)))
    best: tuple | None = None

    def visit(M: int) -> bool:
        nonlocal best
        L = igcv1_max_L(M, k, budget)
        if L < 1:
            return False
        key = (-(L * M), _block_params("igcv1", L=L, M=M, k=k), L + M, L)
        if best is None or key < best[0]:
            best = (key, (L, M))
        return True

    def can_beat(M: int) -> bool:
        return M * f.igcv1_L_root(M, k, budget) + 1 >= -best[0][0]

    M = peak
    while visit(M) and (M <= peak or can_beat(M + 1)):
        M += 1
        if M > peak and not can_beat(M):
            break
    M = peak - 1
    while M >= 1 and (M >= peak or can_beat(M)):
        visit(M)
        M -= 1
    return best[1] if best else None


def widest_igcv1(budget: int, k: int) -> WidestResult:
    opt = igcv1_optimum(budget, k)
    config = {"L": opt[0], "M": opt[1], "k": k} if opt else None
    smallest = _block_params("igcv1", L=1, M=1, k=k)
    return _result("igcv1", config, opt[0] * opt[1] if opt else None, bounds.igcv1_bound(budget, k), smallest)


# --- IGCV2 -------------------------------------------------------------------------------

_LOG3 = math.log(3)


class _Primes:
    """Primes in increasing order, sieved further on demand."""

    def __init__(self) -> None:
        self.limit = 1
        self.list: list[int] = []

    def _extend(self, limit: int) -> None:
        sieve = bytearray([1]) * (limit + 1)
        sieve[0:2] = b"\x00\x00"
        for p in range(2, math.isqrt(limit) + 1):
            if sieve[p]:
                sieve[p * p :: p] = bytearray(len(range(p * p, limit + 1, p)))
        self.list = [p for p in range(2, limit + 1) if sieve[p]]
        self.limit = limit

    def get(self, i: int) -> int:
        while i >= len(self.list):
            self._extend(max(self.limit * 2, 64))
        return self.list[i]


_PRIMES = _Primes()


def _max_factor(room: float, fixed: float, density: float) -> float:
    """An upper bound (within 1e-9) on the largest m ≥ 1 with m·(fixed + density·ln m) ≤ room.

    Newton's method on x = ln m, h(x) = x + ln(fixed + density·x) − ln(room), which is
    increasing and concave; converged to machine precision, then widened by a hair.
    """
    if fixed > room:
        return 0.0
    target = math.log(room)
    x = target - math.log(fixed)
    for _ in range(60):
        inner = fixed + density * x
        step = (x + math.log(inner) - target) / (1 + density / inner)
        x -= step
        if abs(step) < 1e-13 * max(1.0, abs(x)):
            break
    return math.exp(max(x, 0.0) + 1e-9)


def _igcv2_walk(budget: int, k: int, floor: int = 1, keep: int = 1) -> list[int]:
    """The `keep` largest widths C ≥ floor with C·(S + sopfr(C)) ≤ budget, largest first.

    sopfr is the sum of prime factors with multiplicity. The walk visits prime multisets in
    increasing order. Below a node n (sum s) whose next primes are all ≥ p, every width is
    n·m with sopfr(m) ≥ c·ln m, where c = 3/ln 3 for every m and p/ln p once p ≥ 3; so the
    largest reachable width is bounded, the bound only falls as p grows, and the loop stops
    as soon as it cannot beat the `keep`-th best found. IGCError past NODE_LIMIT nodes.
    """
    import heapq

    from igcdesign.errors import IGCError

    S = k * k
    if _block_params("igcv2", K=(1, 1), C=1, k=k) > budget:
        return []
    kept: list[int] = []  # min-heap of the best widths so far
    visited = 0

    def threshold() -> int:
        return max(floor, kept[0] + 1) if len(kept) == keep else floor

    def reachable(n: int, s: int, p: int) -> float:
        density = max(3 / _LOG3, p / math.log(p)) if p >= 3 else 3 / _LOG3
        return n * _max_factor(budget / n, S + s, density) * (1 + 1e-9)

    def dfs(n: int, s: int, index: int) -> None:
        nonlocal visited
        visited += 1
        if visited > NODE_LIMIT:
            raise IGCError("the IGCV2 search grew too large; ask for fewer or less varied blocks")
        if n >= threshold():
            heapq.heappush(kept, n)
            if len(kept) > keep:
                heapq.heappop(kept)
        i = index
        while True:
            p = _PRIMES.get(i)
            if n * p * (S + s + p) > budget or reachable(n, s, p) < threshold():
                break
            dfs(n * p, s + p, i)
            i += 1

    dfs(1, 0, 0)
    return sorted(kept, reverse=True)


def igcv2_widest_width(budget: int, k: int) -> int:
    """Largest C with C·(S + sopfr(C)) ≤ budget, 0 if none.

    That is the widest strictly complementary IGCV2 block with a channel-wise k×k conv: its 1×1
    branch sizes multiply to C, and no factorisation sums to less than the primes of C.
    """
    widths = _igcv2_walk(budget, k)
    return widths[0] if widths else 0


def igcv2_branches(C: int) -> tuple[int, ...]:
    """The 1×1 branch sizes of least sum (then fewest convs) whose product is C, largest first."""
    factors, n, p = [], C, 2
    while p * p <= n:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    if n > 1:
        factors.append(n)
    twos = factors.count(2)
    merged = [4] * (twos // 2) + [2] * (twos % 2) + [q for q in factors if q != 2]
    return tuple(sorted(merged, reverse=True)) or (1,)


def widest_igcv2(budget: int, k: int) -> WidestResult:
    C = igcv2_widest_width(budget, k)
    config = {"K": [1, *igcv2_branches(C)], "k": k} if C else None
    smallest = _block_params("igcv2", K=(1, 1), C=1, k=k)
    return _result("igcv2", config, C or None, bounds.igcv2_bound(budget, k), smallest)


# --- IGCV3 -------------------------------------------------------------------------------


def widest_igcv3(budget: int, k: int, t: int = 6, g1: int = 2, g2: int = 2) -> WidestResult:
    """Widest IGCV3 block (C_out = C) with C a multiple of G1·G2, the super-channel rule."""
    unit = g1 * g2

    def cost(j: int) -> int:
        C = j * unit
        return _block_params("igcv3", C=C, t=t, G1=g1, G2=g2, k=k, Cout=C)

    j = largest_at_most(cost, budget, f.igcv3_C_root(k, t, g1, g2, budget) / unit)
    config = {"C": j * unit, "t": t, "G1": g1, "G2": g2, "k": k} if j else None
    result = _result("igcv3", config, j * unit or None, bounds.igcv3_bound(budget, k, t, g1, g2), cost(1))
    if j:
        result.extra["C_int"] = t * j * unit
    return result


# --- all families ------------------------------------------------------------------------


def _result(family: str, config: dict | None, width: int | None, bound: dict, smallest: int = 0) -> WidestResult:
    if config is None:
        note = f"too small: needs {smallest:,}"
        return WidestResult(family, None, None, None, bound, note=note)
    spec_config = dict(config)
    if family == "igcv2":
        spec_config["K"] = tuple(config["K"])
    block = FAMILIES[family].make(**spec_config)
    return WidestResult(
        family=family,
        width=width,
        params=block.params(),
        config={key: value for key, value in config.items() if key != "k"},
        bound=bound,
        layers=len(convs(block.chain)),
        spec=block.spec,
    )


def widest_all(
    budget: int,
    k: int,
    families: Sequence[str] | None = None,
    expansion: int = 6,
    g1: int = 2,
    g2: int = 2,
) -> list[WidestResult]:
    """The widest block of each family within `budget` params, with the width ratio to regular."""
    searches = {
        "regular": lambda: widest_regular(budget, k),
        "dwsep": lambda: widest_dwsep(budget, k),
        "igcv1": lambda: widest_igcv1(budget, k),
        "igcv2": lambda: widest_igcv2(budget, k),
        "igcv3": lambda: widest_igcv3(budget, k, expansion, g1, g2),
    }
    wanted = list(families) if families else list(FAMILY_ORDER)
    regular = widest_regular(budget, k)
    results = [regular if name == "regular" else searches[name]() for name in wanted]
    for result in results:
        if result.width and regular.width:
            result.ratio_to_regular = result.width / regular.width
    return results


# --- nearly as wide ----------------------------------------------------------------------

MAX_NEAR = 10_000
NODE_LIMIT = 2_000_000


def _igcv1_near(budget: int, k: int, floor_width: int, limit: int) -> list[dict]:
    """The `limit` widest IGCV1 shapes of width ≥ floor_width within budget, widest first.

    Walks M out from the continuous optimum on both sides, keeping the `limit` best per-M
    maxima; the limit-th of those bounds the answer from below, so a side stops once the real
    width M·L_root(M) (unimodal in M) falls under it. The survivors' descending runs of L are
    then merged through a heap.
    """
    import heapq

    peak = max(1, round(f.igcv1_bound_M(budget, k)))
    tops: list[int] = []  # min-heap of the best per-M maximum widths
    runs: dict[int, int] = {}  # M → its largest L

    def bar() -> int:
        return max(floor_width, tops[0]) if len(tops) >= limit else floor_width

    def visit(M: int) -> bool:
        most = igcv1_max_L(M, k, budget)
        if most < 1:
            return False
        runs[M] = most
        heapq.heappush(tops, most * M)
        if len(tops) > limit:
            heapq.heappop(tops)
        return True

    M = peak
    while visit(M) and (M <= peak or M * f.igcv1_L_root(M, k, budget) + 1 >= bar()):
        M += 1
    M = peak - 1
    while M >= 1 and M * f.igcv1_L_root(M, k, budget) + 1 >= bar():
        visit(M)
        M -= 1
    threshold = bar()
    heap = [(-L * M, _block_params("igcv1", L=L, M=M, k=k), M, L) for M, L in runs.items() if L * M >= threshold]
    heapq.heapify(heap)
    configs: list[dict] = []
    while heap and len(configs) < limit:
        _, _, M, L = heapq.heappop(heap)
        configs.append({"L": L, "M": M, "k": k})
        if L > 1 and (L - 1) * M >= threshold:
            heapq.heappush(heap, (-(L - 1) * M, _block_params("igcv1", L=L - 1, M=M, k=k), M, L - 1))
    return configs


def near_widest(
    budget: int, k: int, family: str, fraction: float, expansion: int = 6, g1: int = 2, g2: int = 2,
    limit: int = MAX_NEAR,
) -> list[dict]:
    """The `limit` widest blocks of `family` within budget whose width is at least (1 − fraction)
    × the widest, widest first (ties: fewer params), as {"width", "params", "config", "spec"}.

    IGCError where the IGCV2 walk would grow unreasonably large.
    """
    limit = min(limit, MAX_NEAR)
    best = widest_all(budget, k, [family], expansion, g1, g2)[0]
    if not best.width:
        return []
    floor_width = max(1, math.ceil(best.width * (1 - fraction)))
    configs: list[dict] = []
    if family in ("regular", "dwsep"):
        configs = [{"C": C, "k": k} for C in range(best.width, max(floor_width, best.width - limit + 1) - 1, -1)]
    elif family == "igcv3":
        unit = g1 * g2
        lowest = max(floor_width, best.width - (limit - 1) * unit)
        configs = [{"C": C, "t": expansion, "G1": g1, "G2": g2, "k": k, "Cout": C}
                   for C in range(best.width, lowest - 1, -unit)]
    elif family == "igcv2":
        configs = [{"K": (1, *igcv2_branches(C)), "C": C, "k": k}
                   for C in _igcv2_walk(budget, k, floor_width, limit)]
    elif family == "igcv1":
        configs = _igcv1_near(budget, k, floor_width, limit)
    rows = []
    for config in configs:
        block = FAMILIES[family].make(**config)
        config = {key: value for key, value in block.config.items() if key not in ("k", "Cout")}
        if family == "igcv2":
            config = {"K": list(block.config["K"])}
        rows.append({"width": block.width, "params": block.params(), "spec": block.spec, "config": config})
    rows.sort(key=lambda row: (-row["width"], row["params"]))
    return rows[:limit]
