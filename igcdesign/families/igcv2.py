"""IGCV2 (Xie et al., CVPR 2018): a chain of group convs with K_l channels per branch,
the first k×k, the rest 1×1, interleaved; strictly complementary when ∏K_l = C.

Besides the chain: the exact widest search (a pruned walk over prime factorisations), the
depth table (balanced branch sizes per number of 1×1 convs), the design space of every chain
with ∏K = C, and the paper's derivation.
"""

from __future__ import annotations

import math
from math import prod

from igcdesign import formulas as f
from igcdesign.errors import IGCError, SpecError
from igcdesign.families.base import Family, make_chain, stride_suffix
from igcdesign.families.integers import closest, divisors, largest_at_most
from igcdesign.layers import exact_div

NODE_LIMIT = 2_000_000  # nodes the factorisation walk may visit before it gives up
FEW_CONVS = 12  # the constrained walk bounds each number of sizes left up to this many, else by density
_LOG3 = math.log(3)


class IGCV2(Family):
    name = "igcv2"
    summary = "IGCV2 chain; K = branch sizes, the first the k×k conv's"
    int_keys = ("C", "k")
    list_keys = {"K": "x"}
    required = ("K",)
    supports = frozenset({"widest", "table", "space", "derive"})
    table_title = "IGCV2 (channel-wise k×k, balanced 1×1 convs)"
    widest_by_default = True
    space_max_budget = 10**7  # about 2.8M configurations
    space_columns = ("K", "n_convs", "K1")

    def complete(self, config):
        if "C" not in config:
            config["C"] = prod(config["K"])

    def validate(self, config):
        if len(config["K"]) < 2:
            raise SpecError("igcv2 K: needs at least two group convs (e.g. K=1x8x8)")
        for K in config["K"]:
            if config["C"] % K:
                raise SpecError(f"igcv2 K: branch size {K} does not divide C={config['C']}")

    def chain(self, K, k, C, **_):
        n = len(K)
        groups = [exact_div(C, K_l) for K_l in K]
        names = [f"{k}×{k} group conv (K={K[0]})"] + [f"1×1 group conv (K={K_l})" for K_l in K[1:]]
        return make_chain([C] * (n + 1), groups, [k] + [1] * (n - 1), ["s"] * (n - 1), names=names)

    def spec(self, config):
        text = f"igcv2:K={'x'.join(str(v) for v in config['K'])},k={config['k']}"
        if config["C"] != prod(config["K"]):
            text += f",C={config['C']}"
        return text + stride_suffix(config)

    def display_config(self, config):
        shown = {"K": list(config["K"])}
        if config.get("C") is not None and config["C"] != prod(config["K"]):
            shown["C"] = config["C"]
        return shown

    def verdict_representative(self, config):
        """With ∏K = C (the paper's complementary condition) the verdict is the same whatever the
        branch sizes and depth (tests check this claim against analyze()), so one three-conv
        chain with the same kind of first conv (channel-wise or not) stands for all of them."""
        K, C = config["K"], config["C"]
        if hasattr(C, "dtype"):  # a design space: every row has ∏K = C
            import numpy as np

            first = np.where(K[0] == 1, 1, 2)
            return {**config, "K": (first, 2, 2), "C": first * 4}
        if C != prod(K):
            return config
        small = (1 if K[0] == 1 else 2, 2, 2)
        return {**config, "K": small, "C": prod(small)}

    # --- widest ----------------------------------------------------------------------
    def _cost(self, k: int):
        """params of a chain with a channel-wise k×k conv and 1×1 branch sizes summing to s,
        at width C: the generated per-layer count, linear in the branch size."""
        return lambda C, s: f.igcv2_layer_params(C, 1, k) + f.igcv2_layer_params(C, s, 1)

    def channelwise_cost(self, k: int):
        """cost(C, s): params of a chain of width C with a channel-wise k×k conv and 1×1 branch
        sizes summing to s (the widest search's cost, shared with igcdesign.igcv2_depth)."""
        return self._cost(k)

    def walk(self, budget: int, k: int, floor: int = 1, keep: int = 1) -> list[int]:
        """The `keep` largest widths C ≥ floor whose cheapest channel-wise chain (1×1 branch
        sizes the prime factors of C, so their sum is sopfr(C)) fits the budget, largest first.

        The walk visits prime multisets in increasing order. Below a node n (sum s) whose next
        primes are all ≥ p, every width is n·m with sopfr(m) ≥ c·ln m, where c = 3/ln 3 for every
        m and p/ln p once p ≥ 3; so the largest reachable width is bounded, the bound only falls
        as p grows, and the loop stops as soon as it cannot beat the `keep`-th best found.
        IGCError past NODE_LIMIT nodes.
        """
        import heapq

        cost = self._cost(k)
        if self.params(K=(1, 1), C=1, k=k) > budget:
            return []
        kept: list[int] = []  # min-heap of the best widths so far
        visited = 0

        def threshold() -> int:
            return max(floor, kept[0] + 1) if len(kept) == keep else floor

        def reachable(n: int, s: int, p: int) -> float:
            density = max(3 / _LOG3, p / math.log(p)) if p >= 3 else 3 / _LOG3
            return n * _max_factor(budget / n, cost(1, s), density) * (1 + 1e-9)

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
                if cost(n * p, s + p) > budget or reachable(n, s, p) < threshold():
                    break
                dfs(n * p, s + p, i)
                i += 1

        dfs(1, 0, 0)
        return sorted(kept, reverse=True)

    def config_of_width(self, C: int, k: int) -> dict:
        """The cheapest channel-wise chain of width C (see `branches`)."""
        return {"K": (1, *branches(C)), "C": C, "k": k}

    def constrained_walk(self, budget: int, k: int, constraints) -> list[tuple[int, ...]]:
        """The 1×1 branch sizes (largest first) of the widest channel-wise chains (K₁ = 1,
        ∏K = C) within budget that meet the constraints, best first (ties: fewer params, then
        fewer convs); every chain of that width and least cost.

        Branch and bound over non-decreasing branch sizes, each one the constraints allow (a
        multiple of --multiple-of, at least --min-group-size: the 1×1 conv's channels per
        group), at most --max-convs − 1 of them. Below a node of width n and sum s whose next
        sizes are all ≥ p, a product m of new sizes has sum ≥ c·ln m (c as in `walk`: no size
        beats 3/ln 3 per unit of ln m, nor p/ln p once p ≥ 3), and with at most r sizes left
        sum ≥ r·m^(1/r) once ln m ≥ r; a child is entered only when the width these bounds
        allow reaches the best found. IGCError past NODE_LIMIT nodes.
        """
        cost = self._cost(k)
        tail_max = constraints.max_convs - 1 if constraints.max_convs else None
        if tail_max is not None and tail_max < 1:
            return []
        step = constraints.multiple_of or 1
        least = max(2, constraints.min_group_size or 1)
        best: list = [None, []]  # (width, params, convs) key of the best, and its branch sizes
        visited = 0

        def reachable(n: int, s: int, p: int, left: int | None) -> float:
            room, fixed = budget / n, cost(1, s)
            if left is None or left > FEW_CONVS:
                density = max(3 / _LOG3, p / math.log(p)) if p >= 3 else 3 / _LOG3
                return n * max(_max_factor(room, fixed, density), 1.0) * (1 + 1e-9)
            m = 1.0
            for j in range(1, left + 1):  # j more sizes ≥ p: product m ≥ p^j, sum ≥ j·m^(1/j)
                if p**j * (fixed + j * p) > room:
                    break
                m = max(m, _max_product(room, fixed, j))
            return n * m * (1 + 1e-9)

        def dfs(n: int, s: int, sizes: tuple[int, ...]) -> None:
            nonlocal visited
            visited += 1
            if visited > NODE_LIMIT:
                raise IGCError("the constrained IGCV2 search grew too large; loosen the constraints")
            if sizes:
                key = (-n, cost(n, s), len(sizes))
                if best[0] is None or key < best[0]:
                    best[0], best[1] = key, [sizes]
                elif key == best[0]:
                    best[1].append(sizes)
            left = None if tail_max is None else tail_max - len(sizes)
            if left == 0:
                return
            size = max(sizes[-1] if sizes else least, least)
            size = -(-size // step) * step
            if left == 1:  # the last size: only the largest that fits can be widest
                top = largest_at_most(lambda j: cost(n * j * step, s + j * step), budget, 1.0, lo=size // step)
                if top * step >= size:
                    dfs(n * top * step, s + top * step, sizes + (top * step,))
                return
            while cost(n * size, s + size) <= budget:
                bar = -best[0][0] if best[0] else 1
                if reachable(n * size, s + size, size, None if left is None else left - 1) >= bar:
                    dfs(n * size, s + size, sizes + (size,))
                size += step

        for count in range(1, min(tail_max or FEW_CONVS, FEW_CONVS) + 1):  # a first bar: equal sizes
            q = largest_at_most(lambda j: cost((j * step) ** count, count * j * step), budget, 1.0,
                                lo=-(-least // step))
            if q * step >= least:
                size = q * step
                key = (-(size**count), cost(size**count, count * size), count)
                if best[0] is None or key < best[0]:
                    best[0], best[1] = (key[0] + 1, 0, 0), []  # a bar only: the walk finds it again
        dfs(1, 0, ())
        return [tuple(sorted(sizes, reverse=True)) for sizes in best[1]]

    def widest_config(self, budget, k, options, accept):
        if options.constraints.active():
            for sizes in self.constrained_walk(budget, k, options.constraints):
                config = {"K": (1, *sizes), "C": prod(sizes), "k": k}
                if accept(config):
                    return config
            return None
        for keep in (1, 64):
            for C in self.walk(budget, k, keep=keep):
                config = self.config_of_width(C, k)
                if accept(config):
                    return config
        return None

    def near_configs(self, budget, k, best, floor_width, limit, options, accept):
        configs = [self.config_of_width(C, k) for C in self.walk(budget, k, floor_width, limit)]
        return [c for c in configs if accept(c)]

    def smallest_config(self, k, options):
        return {"K": (1, 1), "C": 1, "k": k}

    def same_width_configs(self, cin, cout, k, max_params):
        """Every chain of width C = cin = cout with ∏K = C (the complementary condition, as
        `space` enumerates them): any K₁ dividing C, then 1×1 branch sizes ≥ 2 largest first
        (their order changes no count), within max_params."""
        if cin != cout:
            return
        C = cin

        def cost(K1: int, tail_sum: int) -> int:
            return f.igcv2_layer_params(C, K1, k) + f.igcv2_layer_params(C, tail_sum, 1)

        def tails(rest: int, largest: int, K1: int, spent: int):
            for factor in reversed(divisors(rest)):
                if factor < 2 or factor > largest or cost(K1, spent + factor) > max_params:
                    continue
                if factor == rest:
                    yield (factor,)
                    continue
                for tail in tails(rest // factor, factor, K1, spent + factor):
                    yield (factor, *tail)

        for K1 in divisors(C):
            if C // K1 >= 2:
                for tail in tails(C // K1, C, K1, 0):
                    yield {"K": (K1, *tail), "C": C, "k": k}

    def bound(self, budget, k, options):
        """The C solving C·(S + e·ln C) = T, and L = 1 + ln C group convs (channel-wise k×k first)."""
        lo, hi = 1.0, float(budget)
        if f.igcv2_min_params_channelwise(lo, k) > budget:
            return {"width": 0.0, "L": None}
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            if f.igcv2_min_params_channelwise(mid, k) <= budget:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-9 * hi:
                break
        return {"width": lo, "L": 1 + f.igcv2_best_n(lo)}

    # --- table: one row per number of 1×1 convs ----------------------------------------
    def table_part(self, budget, k, tolerance, options, accept):
        """For each number n ≥ 1 of 1×1 group convs, the balanced strictly complementary K
        closest to budget (K₁ = 1: the k×k conv is channel-wise)."""

        def config(n: int, index: int) -> dict:
            K = (1, *balanced(n, index))
            return {"K": K, "C": prod(K), "k": k}

        def row(n: int, chosen: dict) -> dict:
            return {"config": chosen, "L": n + 1, "n_1x1": n, "K": "x".join(map(str, chosen["K"])), "near_ln_C": False}

        rows, widest = [], None
        n = 1
        while self.params(**config(n, 0)) <= budget:
            cost = lambda index, n=n: self.params(**config(n, index))  # noqa: E731
            below = largest_at_most(cost, budget, 0.0, lo=0)
            chosen = config(n, closest(cost, budget, below, lo=0))
            if accept(chosen):
                rows.append(row(n, chosen))
            fitting = config(n, below)
            if accept(fitting):
                key = (-fitting["C"], cost(below), n)
                if widest is None or key < widest[0]:
                    widest = (key, row(n, fitting))
            n += 1
        bound = dict(self.bound(budget, k, options))
        if rows and bound.get("L"):
            nearest = min(rows, key=lambda r: (abs(r["L"] - bound["L"]), r["L"]))
            nearest["near_ln_C"] = True
        bound["ln_C"] = (bound["L"] - 1) if bound.get("L") else None
        for candidate in ([widest[1]] if widest else []):  # the widest within budget, if it is a row
            candidate["near_ln_C"] = any(r["near_ln_C"] and r["config"] == candidate["config"] for r in rows)
        return {"rows": rows, "widest": widest[1] if widest else None, "order": ("L", "width"), "bound": bound,
                "columns": ["L", "n_1x1", "K", "width", "params", "ratio", "dev_pct", "within_tolerance",
                            "near_ln_C", "widest"]}

    # --- space: every chain with ∏K = C ------------------------------------------------
    def sequences(self, budget: int, k: int, channelwise: bool = False, progress=None) -> dict:
        """Every (K₁, K₂ ≥ … ≥ K_n+1 ≥ 2) whose block fits the budget, grouped by length, with its
        K text ('1x4x3x3', the 1×1 branch sizes largest first as `branches` lists them).

        Depth-first over non-decreasing 1×1 branch sizes: params only grow when a factor grows or
        is appended, so a branch stops at the first factor over budget. The chain's own count is
        checked afterwards (the space keeps params ≤ budget).
        """
        found: dict[int, tuple[list, list]] = {}

        def cost(C: int, K1: int, tail: int) -> int:
            return f.igcv2_layer_params(C, K1, k) + f.igcv2_layer_params(C, tail, 1)

        def dfs(C: int, K1: int, tail: int, seq: tuple[int, ...], text: str, smallest: int) -> None:
            factor = smallest
            while cost(C * factor, K1, tail + factor) <= budget:
                seq2, text2 = seq + (factor,), f"{factor}x{text}"
                seqs, texts = found.setdefault(len(seq2), ([], []))
                seqs.append(seq2)
                texts.append(text2)
                dfs(C * factor, K1, tail + factor, seq2, text2, factor)
                factor += 1

        K1 = 1
        while cost(K1 * 2, K1, 2) <= budget:
            dfs(K1, K1, 0, (K1,), "", 2)
            if progress:
                progress.advance(1)
            if channelwise:
                break
            K1 += 1
        return {n: (seqs, [f"{seq[0]}x{text[:-1]}" for seq, text in zip(seqs, texts)])
                for n, (seqs, texts) in sorted(found.items())}

    def space_axes(self, budget, k, options, channelwise, progress=None):
        import numpy as np

        parts = []
        for length, (seqs, texts) in self.sequences(budget, k, channelwise, progress).items():
            arr = np.asarray(seqs, dtype=np.int64)  # K₁, then the 1×1 sizes (order does not change counts)
            K = tuple(arr[:, i] for i in range(length))
            C = np.prod(arr, axis=1)
            parts.append(({"K": K, "C": C, "_text": np.asarray(texts, dtype=object)}, C))
        return parts

    def space_family_columns(self, config, n):
        import numpy as np

        K = config["K"]
        return {"K": config["_text"], "n_convs": np.full(n, len(K), dtype=np.int64), "K1": K[0]}

    def space_specs(self, frame, k, options):
        return "igcv2:K=" + frame["K"].astype(str) + f",k={k}"

    # --- symbols ----------------------------------------------------------------------
    def symbolic_config(self):
        from igcdesign.symbolic import symbols as sy

        return {"K": sy.branch_symbols(3), "C": sy.C, "k": sy.k}

    def derivation(self):
        """Q = C(S·K₁ + ΣK_l), ∏K_l = C, balance S·K₁ = K₂ = …, L = ln(SC), Q_min = e·C·ln(SC)."""
        import sympy as sp

        from igcdesign.layers import GroupConv
        from igcdesign.symbolic import symbols as sy
        from igcdesign.symbolic.derivations import Derivation, confirm, positive_root

        C, S, Q, L, K, l, n = sy.C, sy.S, sy.Q, sy.L, sy.K, sy.l, sy.n
        d = Derivation("igcv2")
        Kb = sp.Symbol("K", positive=True)
        layer = sy.in_S(GroupConv(C, C, C / Kb, sy.k).params())
        d.add("One k×k group conv of C channels in branches of K channels", sp.Eq(Q, layer),
              "a 1×1 conv (k = 1) costs C·K")
        K3 = sy.branch_symbols(3)
        chain3 = sy.in_S(self.params(**{**self.symbolic_config(), "K": K3}))
        general = C * (S * K[1] + sp.Sum(K[l], (l, 2, L)))
        confirm(chain3 - general.subs(L, 3).doit().subs({K[1]: K3[0], K[2]: K3[1], K[3]: K3[2]}),
                "three-conv chain matches the general sum")
        d.add("Summed over the chain (first conv k×k, the rest 1×1)", sp.Eq(Q, general),
              f"for three convs the chain gives {sp.factor(chain3)}")
        d.add("Complementary condition: one path between every input and output channel",
              sp.Eq(sp.Product(K[l], (l, 1, L)), C))
        free = sp.expand(chain3 / C).subs(K3[2], C / (K3[0] * K3[1]))
        (solution,) = sp.solve([sp.diff(free, K3[0]), sp.diff(free, K3[1])], K3[:2], dict=True)
        terms = [sp.simplify(S * solution[K3[0]]), sp.simplify(solution[K3[1]]),
                 sp.simplify((C / (K3[0] * K3[1])).subs(solution))]
        confirm(terms[0] - terms[1], "S·K1 = K2")
        confirm(terms[1] - terms[2], "K2 = K3")
        d.add("Minimising Q under ∏K = C (three convs): every term equal, the balance condition",
              sp.And(sp.Eq(S * K3[0], K3[1]), sp.Eq(K3[1], K3[2])),
              f"each term = {terms[0]}")
        bound = C * L * (S * C) ** (1 / L)
        confirm(C * free.subs(solution) - bound.subs(L, 3), "the three-conv minimum is the AM–GM bound at L = 3")
        d.add("AM–GM over the L terms S·K₁, K₂, …, K_L (product S·C)", sp.GreaterThan(Q, bound),
              "equality exactly under the balance condition (sympy: the three-conv minimum above equals it at L = 3)")
        L_opt = positive_root(sp.diff(bound, L), L)
        d.add("Best number of group convs", sp.Eq(L, L_opt))
        Q_min = bound.subs(L, L_opt)
        d.add("Least parameters for width C", sp.Eq(Q, Q_min))
        channelwise = C * (S + n * C ** (1 / n))
        pair = S + K3[1] + C / K3[1]  # K₁ = 1 and two 1×1 convs with K₂·K₃ = C
        least = pair.subs(K3[1], positive_root(sp.diff(pair, K3[1]), K3[1]))
        confirm(C * least - channelwise.subs(n, 2), "two balanced 1×1 convs reach the channel-wise bound")
        d.add("Channel-wise first conv (K₁ = 1), n = L − 1 balanced 1×1 convs K_l = C^(1/n)",
              sp.GreaterThan(Q, channelwise))
        n_opt = positive_root(sp.diff(channelwise, n), n)
        d.add("Best number of 1×1 group convs", sp.Eq(L - 1, n_opt))
        Q_cw = sp.simplify(channelwise.subs(n, n_opt))
        d.add("Least parameters with a channel-wise k×k conv", sp.Eq(Q, Q_cw),
              "the width bound solves C·(S + e·ln C) = T")
        d.results.update(min_params=Q_min, min_params_channelwise=Q_cw, best_L=L_opt, best_n=n_opt, layer=layer)
        return d

    def formulas(self):
        import sympy as sp

        from igcdesign.symbolic import symbols as sy

        r = self.derivation().results
        Kb = sp.Symbol("K", positive=True)
        return [
            ("integer", "igcv2_layer_params", (sy.C, Kb, sy.k), r["layer"],
             "Weights of one IGCV2 group conv of width C with branches of K channels."),
            ("float", "igcv2_min_params_channelwise", (sy.C, sy.k), r["min_params_channelwise"],
             "Least IGCV2 weights for width C with a channel-wise k×k conv: C(S + e·ln C)."),
            ("float", "igcv2_best_n", (sy.C,), r["best_n"], "Best real number of 1×1 group convs, ln C."),
        ]


def balanced(n: int, index: int) -> tuple[int, ...]:
    """The index-th balanced-as-possible branch sizes of n 1×1 convs, in increasing size:
    index = (b − 2)·n + j gives n − j branches of b and j of b + 1 (b ≥ 2)."""
    b, j = divmod(index, n)
    b += 2
    return (b + 1,) * j + (b,) * (n - j)


def branches(C: int) -> tuple[int, ...]:
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


def _max_product(room: float, fixed: float, j: int) -> float:
    """The largest real m ≥ 1 with m·(fixed + j·m^(1/j)) ≤ room (bisection on ln m, then widened
    by a hair): j sizes of product m sum to at least j·m^(1/j)."""
    lo, hi = 0.0, math.log(room / fixed) if room > fixed else 0.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if math.exp(mid) * (fixed + j * math.exp(mid / j)) <= room:
            lo = mid
        else:
            hi = mid
    return math.exp(hi + 1e-9)


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
