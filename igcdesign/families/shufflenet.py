"""ShuffleNet V1's unit (Zhang, Zhou, Lin, Sun, 2017, arXiv 1707.01083), C → C (s= strides its channel-wise conv):
1×1 group conv (g groups) C → C/4 (the bottleneck, a quarter of the output channels), channel
shuffle (g groups), channel-wise k×k conv, 1×1 group conv (g groups) C/4 → C.

Besides the chain: the widest search over C and g ∈ {1, 2, 3, 4, 8} (the paper's Table 1),
the table row per g, the (C, g) axes of the design space and the derivation.
"""

from __future__ import annotations

from igcdesign import formulas as f
from igcdesign.families.base import Family, check_divides, make_chain
from igcdesign.families.igcv1 import nearer
from igcdesign.families.integers import MAX_SCAN, accepted_down, accepted_up, divisors, largest_at_most
from igcdesign.layers import convs, exact_div

PAPER_GROUPS = (1, 2, 3, 4, 8)  # the group counts of the paper's Table 1
BOTTLENECK = 4  # the bottleneck has C / 4 channels


class ShuffleNetV1(Family):
    name = "shufflenetv1"
    summary = "ShuffleNet V1 unit: 1×1 group conv (g) → C/4, shuffle, channel-wise k×k, 1×1 group conv (g) → C"
    int_keys = ("C", "g", "k")
    required = ("C",)
    defaults = {"k": 3, "g": 3}
    supports = frozenset({"widest", "table", "space", "derive"})
    table_title = "ShuffleNet V1"
    paper_rule_text = "g one of 1, 2, 3, 4, 8 and any width the group convs divide (the paper's, e.g. C = 240 at g = 3)"
    stride_conv = 1  # s= strides the channel-wise conv
    space_max_budget = 10**8
    space_columns = ("C", "g", "bottleneck", "paths")

    def validate(self, config):
        C, g = config["C"], config["g"]
        check_divides(BOTTLENECK, C, f"{self.name} bottleneck (C={C})")
        bottleneck = convs(self.chain(**config))[0].cout
        check_divides(g, C, f"{self.name} g (input C={C})")
        check_divides(g, bottleneck, f"{self.name} g (bottleneck C/4={bottleneck})")

    def chain(self, C, g, k, **_):
        m = exact_div(C, BOTTLENECK)
        return make_chain(
            [C, m, m, C],
            [g, m, g],
            [1, k, 1],
            ["s", "i"],
            names=[f"1×1 group conv ({g} groups) to the bottleneck", f"channel-wise {k}×{k} conv",
                   f"1×1 group conv ({g} groups) back"],
        )

    def paper_rule(self, config):
        g = config["g"]
        if hasattr(g, "dtype"):
            import numpy as np

            return np.isin(g, PAPER_GROUPS)
        return g in PAPER_GROUPS

    def named_widths(self, chain):
        return {"bottleneck": convs(chain)[0].cout}

    # --- widest ------------------------------------------------------------------------
    def _config(self, C: int, g: int, k: int) -> dict:
        return {"C": C, "g": g, "k": k}

    def _largest_fitting(self, budget: int, k: int, g: int) -> int:
        step = BOTTLENECK * g  # C/4 a multiple of g
        cost = lambda j: self.params(**self._config(j * step, g, k))  # noqa: E731
        return step * largest_at_most(cost, budget, f.shufflenetv1_C_root(k, g, budget) / step)

    def _widest_at(self, budget: int, k: int, g: int, accept) -> int | None:
        top = self._largest_fitting(budget, k, g)
        return accepted_down(top, BOTTLENECK * g, lambda C: accept(self._config(C, g, k)), lo=BOTTLENECK * g)

    def widest_config(self, budget, k, options, accept):
        best = None
        for g in PAPER_GROUPS:
            C = self._widest_at(budget, k, g, accept)
            if C:
                key = (-C, self.params(**self._config(C, g, k)), g)
                if best is None or key < best[0]:
                    best = (key, self._config(C, g, k))
        return best[1] if best else None

    def near_configs(self, budget, k, best, floor_width, limit, options, accept):
        configs = []
        for g in PAPER_GROUPS:
            C, found = self._largest_fitting(budget, k, g), 0
            for _ in range(MAX_SCAN):
                if C < max(floor_width, 1) or found >= limit:
                    break
                if accept(self._config(C, g, k)):
                    configs.append(self._config(C, g, k))
                    found += 1
                C -= BOTTLENECK * g
        configs.sort(key=lambda c: (-c["C"], self.params(**c), c["g"]))
        return configs[:limit]

    def same_width_configs(self, cin, cout, k, max_params):
        """Every g dividing the bottleneck C/4 (cin = cout = C, a multiple of 4) within max_params."""
        if cin != cout or cin % BOTTLENECK:
            return
        for g in divisors(cin // BOTTLENECK):
            if self.params(**self._config(cin, g, k)) <= max_params:
                yield self._config(cin, g, k)

    def smallest_config(self, k, options):
        return self._config(BOTTLENECK, 1, k)

    def bound(self, budget, k, options):
        g = max(PAPER_GROUPS)
        return {"width": f.shufflenetv1_C_root(k, g, budget), "g": g}

    # --- table: one row per g -------------------------------------------------------------
    def table_part(self, budget, k, tolerance, options, accept):
        """For each g of --groups, the accepted width C closest to budget."""
        rows, widest = [], None
        for g in options.groups:
            step = BOTTLENECK * g
            ok = lambda C, g=g: accept(self._config(C, g, k))  # noqa: E731
            cost = lambda C, g=g: self.params(**self._config(C, g, k))  # noqa: E731
            top = self._largest_fitting(budget, k, g)
            below = accepted_down(top, step, ok, lo=step) if top >= step else None
            row = lambda C, g=g: {"config": self._config(C, g, k), "g": g, "C": C,  # noqa: E731
                                  "bound_width": f.shufflenetv1_C_root(k, g, budget)}
            C = nearer(cost, budget, below, accepted_up(top + step, step, ok))
            if C is not None:
                rows.append(row(C))
            if below and (widest is None or (-below, cost(below), g) < widest[0]):
                widest = ((-below, cost(below), g), row(below))
        return {"rows": rows, "widest": widest[1] if widest else None, "order": ("g", "C"),
                "bound": self.bound(budget, k, options),
                "columns": ["g", "C", "bottleneck", "params", "paths", "verdict", "ratio", "dev_pct",
                            "within_tolerance", "widest"]}

    # --- space: every (C, g) the group convs divide -----------------------------------------
    def space_axes(self, budget, k, options, channelwise, progress=None):
        """Every (C, g) with 4·g | C that may fit, as arrays. Bounds before counting: the 1×1
        convs cost C²/(4g) each and the channel-wise conv S·C/4; a chain joining every pair needs
        ∏(cin/groups) = (C/g)·(C/4g) ≥ C, so C ≥ 4·g², except for the paper's own g (its rule
        takes any width)."""
        import numpy as np

        S = k * k
        Cs, gs = [], []
        g = 1
        while g <= max(PAPER_GROUPS) or self.params(**self._config(BOTTLENECK * g * g, g, k)) <= budget:
            step = BOTTLENECK * g
            c_top = min(int((2 * g * budget) ** 0.5) + step, 4 * budget // S + step)
            C = np.arange(step if g in PAPER_GROUPS else step * g, c_top + 1, step, dtype=np.int64)
            Cs.append(C)
            gs.append(np.full(len(C), g, dtype=np.int64))
            g += 1
        C = np.concatenate(Cs) if Cs else np.zeros(0, np.int64)
        G = np.concatenate(gs) if gs else np.zeros(0, np.int64)
        return [({"C": C, "g": G}, C)]

    def space_specs(self, frame, k, options):
        return "shufflenetv1:C=" + frame["C"].astype(str) + ",g=" + frame["g"].astype(str) + f",k={k}"

    # --- symbols ------------------------------------------------------------------------------
    def symbolic_config(self):
        import sympy as sp

        from igcdesign.symbolic import symbols as sy

        return {"C": sy.C, "g": sp.Symbol("g", positive=True), "k": sy.k}

    def derivation(self):
        """params = C²/(2g) + S·C/4; C/(4g²) paths between every pair when g² divides C/4."""
        import sympy as sp

        from igcdesign.symbolic import symbols as sy
        from igcdesign.symbolic.derivations import Derivation, quadratic_root

        C, T, S = sy.C, sy.T, sy.S
        symbols = self.symbolic_config()
        g = symbols["g"]
        d = Derivation(self.name)
        chain = self.chain(**symbols)
        params = sy.in_S(self.params(**symbols))
        d.add("Block parameters, summed over the chain's layers", sp.Eq(T, params))
        m = convs(chain)[0].cout
        d.add("The bottleneck width", sp.Eq(sp.Symbol("m"), m), "a quarter of the output channels")
        first, _, last = convs(chain)
        fan_out = sp.simplify(first.cout / first.groups)
        d.add("An input channel reaches, through the first group conv, m/g bottleneck channels",
              sp.Eq(sp.Symbol("fan_out"), fan_out))
        paths = sp.simplify(fan_out * (last.cout / last.groups) / last.cout)
        d.add("The shuffle spreads each group evenly over the g groups of the last conv, so every "
              "(input, output) pair is joined by", sp.Eq(sp.Symbol("p"), paths),
              "when g² divides C/4; otherwise the counts differ between pairs (check says redundant)")
        d.add("Super-channels: each layer split into", sp.Eq(sp.Symbol("C_s"), g**2))
        d.results.update(params=params, C_root=quadratic_root(params - T, C))
        return d

    def formulas(self):
        from igcdesign.symbolic import symbols as sy

        g = self.symbolic_config()["g"]
        return [("float", "shufflenetv1_C_root", (sy.k, g, sy.T), self.derivation().results["C_root"],
                 "Real width C of a ShuffleNet V1 unit with g groups and exactly T weights.")]
