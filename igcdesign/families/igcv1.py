"""IGCV1 (Zhang et al., ICCV 2017): primary k×k group conv with L partitions of M channels,
interleave, secondary 1×1 group conv with M partitions of L channels, permute back.

Besides the chain: the exact widest search over (L, M), the width table (the paper's Table 1
made complete), the (L, M) axes of the design space and the paper's derivation.
"""

from __future__ import annotations

from igcdesign import formulas as f
from igcdesign.errors import IGCError
from igcdesign.families.base import Family, make_chain
from igcdesign.families.integers import accepted_down, accepted_up, divisors, largest_at_most

MAX_TABLE_M = 20_000  # values of M an IGCV1 table scans; beyond, use `igcdesign widest`


class IGCV1(Family):
    name = "igcv1"
    summary = "IGCV1 block, width L·M"
    int_keys = ("L", "M", "k")
    required = ("L", "M")
    supports = frozenset({"widest", "table", "space", "derive"})
    table_title = "IGCV1"
    widest_by_default = True
    space_max_budget = 10**9  # about 1.2M configurations
    space_columns = ("L", "M")

    def chain(self, L, M, k, **_):
        G = L * M
        return make_chain(
            [G, G, G],
            [L, M],
            [k, 1],
            ["s"],
            names=[f"primary {k}×{k} group conv ({L} groups)", f"secondary 1×1 group conv ({M} groups)"],
            tail="s",
        )

    def width(self, config):
        return config["L"] * config["M"]

    # --- widest ----------------------------------------------------------------------
    def max_L(self, M: int, k: int, budget: int) -> int:
        """The largest L with an IGCV1 block (L, M) within budget, 0 if even L = 1 is too big."""
        return largest_at_most(lambda L: self.params(L=L, M=M, k=k), budget, f.igcv1_L_root(M, k, budget))

    def _accepted_L(self, M: int, k: int, budget: int, accept) -> int:
        top = self.max_L(M, k, budget)
        if top < 1:
            return 0
        return accepted_down(top, 1, lambda L: accept({"L": L, "M": M, "k": k})) or 0

    def widest_config(self, budget, k, options, accept):
        """Every block of maximal width has the largest accepted L for its M, so only those are
        compared. The real width M·L_root(M) bounds the integer width at M from above and is
        unimodal in M with its peak at the continuous optimum, so the scan leaves each side of
        the peak as soon as that bound falls below the best width found."""
        if self.params(L=1, M=1, k=k) > budget:
            return None
        peak = max(1, round(f.igcv1_bound_M(budget, k)))
        best: tuple | None = None

        def visit(M: int) -> bool:
            nonlocal best
            if self.max_L(M, k, budget) < 1:
                return False
            L = self._accepted_L(M, k, budget, accept)
            if L >= 1:
                key = (-(L * M), self.params(L=L, M=M, k=k), L + M, L)
                if best is None or key < best[0]:
                    best = (key, (L, M))
            return True

        def can_beat(M: int) -> bool:
            return best is None or M * f.igcv1_L_root(M, k, budget) + 1 >= -best[0][0]

        M = peak
        while visit(M) and (M <= peak or can_beat(M + 1)):
            M += 1
            if M > peak and not can_beat(M):
                break
        M = peak - 1
        while M >= 1 and (M >= peak or can_beat(M)):
            visit(M)
            M -= 1
        if best is None:
            return None
        L, M = best[1]
        return {"L": L, "M": M, "k": k}

    def near_configs(self, budget, k, best, floor_width, limit, options, accept):
        """Walks M out from the continuous optimum on both sides, keeping the `limit` best per-M
        maxima; the limit-th of those bounds the answer from below, so a side stops once the real
        width M·L_root(M) (unimodal in M) falls under it. The survivors' descending runs of L are
        then merged through a heap."""
        import heapq

        peak = max(1, round(f.igcv1_bound_M(budget, k)))
        tops: list[int] = []  # min-heap of the best per-M maximum widths
        runs: dict[int, int] = {}  # M → its largest L

        def bar() -> int:
            return max(floor_width, tops[0]) if len(tops) >= limit else floor_width

        def visit(M: int) -> bool:
            most = self.max_L(M, k, budget)
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
        heap = [(-L * M, self.params(L=L, M=M, k=k), M, L) for M, L in runs.items() if L * M >= threshold]
        heapq.heapify(heap)
        configs: list[dict] = []
        while heap and len(configs) < limit:
            _, _, M, L = heapq.heappop(heap)
            if accept({"L": L, "M": M, "k": k}):
                configs.append({"L": L, "M": M, "k": k})
            if L > 1 and (L - 1) * M >= threshold:
                heapq.heappush(heap, (-(L - 1) * M, self.params(L=L - 1, M=M, k=k), M, L - 1))
        return configs

    def smallest_config(self, k, options):
        return {"L": 1, "M": 1, "k": k}

    def same_width_configs(self, cin, cout, k, max_params):
        """Every (L, M) with L·M = C (cin = cout = C) within max_params."""
        if cin != cout:
            return
        for M in divisors(cin):
            if self.params(L=cin // M, M=M, k=k) <= max_params:
                yield {"L": cin // M, "M": M, "k": k}

    def bound(self, budget, k, options):
        """Width (T/(2√S))^(2/3) and the real L, M of the optimum L = M·S."""
        return {
            "width": f.igcv1_bound_width(budget, k),
            "L": f.igcv1_bound_L(budget, k),
            "M": f.igcv1_bound_M(budget, k),
        }

    # --- table: for every M, the accepted L with params closest to the budget -----------
    def table_part(self, budget, k, tolerance, options, accept):
        from fractions import Fraction

        from igcdesign.families.integers import within

        upper = budget + (Fraction(str(tolerance)) * budget) / 100
        # beyond m_top even L = 1 is further above the budget than the tolerance allows
        m_top = largest_at_most(lambda M: self.params(L=1, M=M, k=k), int(upper), (float(upper) / (k * k)) ** 0.5)
        if m_top > MAX_TABLE_M:
            raise IGCError(f"budget {budget:,} is too large for a full IGCV1 table ({m_top:,} values of M, "
                           f"limit {MAX_TABLE_M:,}); use `igcdesign widest`")
        rows = []
        for M in range(1, m_top + 1):
            ok = lambda L, M=M: accept({"L": L, "M": M, "k": k})  # noqa: E731
            cost = lambda L, M=M: self.params(L=L, M=M, k=k)  # noqa: E731
            top = self.max_L(M, k, budget)
            below = accepted_down(top, 1, ok) if top >= 1 else None
            above = accepted_up(top + 1, 1, ok)
            L = nearer(cost, budget, below, above)
            if L is not None and within(cost(L), budget, tolerance):
                rows.append({"config": {"L": L, "M": M, "k": k}, "L": L, "M": M})
        best = self.widest_config(budget, k, options, accept)
        widest = {"config": best, "L": best["L"], "M": best["M"]} if best else None
        return {"rows": rows, "widest": widest, "order": ("L", "M"), "bound": dict(self.bound(budget, k, options)),
                "columns": ["L", "M", "params", "width", "ratio", "dev_pct", "widest"]}

    # --- space: every (L, M) ----------------------------------------------------------
    def space_axes(self, budget, k, options, channelwise, progress=None):
        """All (L, M) within budget, as arrays: for each M, L = 1 … max_L(M)."""
        import numpy as np

        counts = []
        M = 1
        while True:
            top = self.max_L(M, k, budget)
            if top < 1:
                break
            counts.append(top)
            M += 1
            if progress and M % 256 == 0:
                progress.advance(256)
        counts_a = np.asarray(counts, dtype=np.int64)
        Ms = np.repeat(np.arange(1, len(counts) + 1, dtype=np.int64), counts_a)
        starts = np.repeat(np.cumsum(counts_a) - counts_a, counts_a)
        Ls = np.arange(len(Ms), dtype=np.int64) - starts + 1
        return [({"L": Ls, "M": Ms}, Ls * Ms)]

    def space_specs(self, frame, k, options):
        return "igcv1:L=" + frame["L"].astype(str) + ",M=" + frame["M"].astype(str) + f",k={k}"

    # --- symbols ----------------------------------------------------------------------
    def symbolic_config(self):
        from igcdesign.symbolic import symbols as sy

        return {"L": sy.L, "M": sy.M, "k": sy.k}

    def derivation(self):
        """T = G²(S/L + 1/M); G > C iff L/(L−1) < M·S; widest at L = M·S; G_max = (T/(2√S))^(2/3)."""
        import sympy as sp

        from igcdesign.families.regular import Regular
        from igcdesign.symbolic import symbols as sy
        from igcdesign.symbolic.derivations import Derivation, confirm, positive_root, quadratic_root

        L, M, S, T, G, C = sy.L, sy.M, sy.S, sy.T, sy.G, sy.C
        d = Derivation("igcv1")
        params = sy.in_S(self.params(**self.symbolic_config()))
        d.add("Block parameters, summed over the chain's layers", sp.Eq(T, params),
              "primary k×k conv: L·M²·S; secondary 1×1 conv: M·L²")
        per_width = sp.expand(params / (L * M) ** 2)
        d.add("With the width G = L·M", sp.Eq(T, G**2 * per_width))
        regular = sy.in_S(Regular().params(**Regular().symbolic_config()))
        d.add("A regular k×k conv of width C", sp.Eq(T, regular))
        ratio = sp.simplify(regular / C**2 / per_width)
        d.add("Equal parameters: (G/C)² = S / (S/L + 1/M)", sp.Eq(G**2 / C**2, ratio))
        gap = sp.together(S - per_width)
        numerator = sp.numer(gap)
        boundary = positive_root(numerator, M)
        slope = sp.factor(sp.diff(numerator, M))
        d.add("G > C iff S/L + 1/M < S; the numerator grows in M (slope shown), so",
              sp.StrictLessThan(sp.simplify(boundary * S), M * S),
              f"slope of the numerator in M: {slope} > 0 for L > 1")
        at_fixed_width = (G**2 * per_width).subs(M, G / L)
        stationary = positive_root(sp.diff(at_fixed_width, L), L)
        d.add("At fixed width, T(L) = G²(S/L + L/G) is least where dT/dL = 0", sp.Eq(L, stationary))
        best_L = positive_root((L**2 - stationary**2).subs(G, L * M), L)
        d.add("With G = L·M: L² = S·L·M, so the widest block for its parameters has", sp.Eq(L, best_L))
        width_at_opt = (L * M).subs(L, best_L)
        M_of_G = positive_root(width_at_opt - G, M)
        budget_at_opt = sp.simplify((G**2 * per_width).subs(L, best_L).subs(M, M_of_G))
        d.add("There G = M²·S and the budget is", sp.Eq(T, budget_at_opt))
        G_max = positive_root(budget_at_opt - T, G)
        confirm(G_max - (T / (2 * sp.sqrt(S))) ** sp.Rational(2, 3), "G_max = (T/(2√S))^(2/3)")
        d.add("The widest IGCV1 block for T parameters", sp.Eq(G, (T / (2 * sp.sqrt(S))) ** sp.Rational(2, 3)))
        d.add("… at", sp.Eq(M, M_of_G.subs(G, G_max)))
        d.results.update(
            params=params,
            L_root=quadratic_root(params - T, L),
            bound_width=G_max,
            bound_M=M_of_G.subs(G, G_max),
            bound_L=best_L.subs(M, M_of_G.subs(G, G_max)),
        )
        return d

    def formulas(self):
        from igcdesign.symbolic import symbols as sy

        r = self.derivation().results
        k, T, M = sy.k, sy.T, sy.M
        return [
            ("float", "igcv1_L_root", (M, k, T), r["L_root"], "Real L at which an IGCV1 block with M has exactly T weights."),
            ("float", "igcv1_bound_width", (T, k), r["bound_width"],
             "Continuous widest IGCV1 width for T weights: (T/(2√S))^(2/3)."),
            ("float", "igcv1_bound_L", (T, k), r["bound_L"], "L at the continuous optimum (L = M·S)."),
            ("float", "igcv1_bound_M", (T, k), r["bound_M"], "M at the continuous optimum (L = M·S)."),
        ]


def nearer(cost, budget: int, below: int | None, above: int | None) -> int | None:
    """Of two candidates (either may be None) the one whose cost is nearest the budget; ties go
    to fewer params."""
    options = [x for x in (below, above) if x is not None]
    if not options:
        return None
    return min(options, key=lambda x: (abs(cost(x) - budget), cost(x)))
