"""IGCV3 (Sun et al., BMVC 2018): MobileNetV2's inverted bottleneck of group convs.

1×1 group conv (G1 groups) C → t·C, shuffle, k×k channel-wise conv, 1×1 group conv (G2 groups)
t·C → C_out. MobileNetV2's bottleneck is the same block with G1 = G2 = 1.

Besides the chain: the widest search over C (every width the group convs divide, kept when the
rule in force accepts it), the table row per (G1, G2), the (C, G1, G2) axes of the design space
and the paper's derivation.
"""

from __future__ import annotations

import math

from igcdesign import formulas as f
from igcdesign.families.base import Family, check_divides, make_chain
from igcdesign.families.igcv1 import nearer
from igcdesign.families.integers import accepted_down, accepted_up, divisors, largest_at_most
from igcdesign.layers import convs


class IGCV3(Family):
    name = "igcv3"
    summary = "IGCV3 block: 1×1 group conv (G1) → t·C, shuffle, channel-wise k×k, 1×1 group conv (G2)"
    int_keys = ("C", "t", "G1", "G2", "k", "Cout")
    required = ("C",)
    defaults = {"k": 3, "t": 6, "G1": 2, "G2": 2}
    supports = frozenset({"widest", "table", "space", "derive"})
    table_title = "IGCV3"
    widest_by_default = True
    paper_rule_text = "C a multiple of G1·G2 (equal super-channels, the IGCV3 paper)"
    stride_conv = 1  # s= strides the channel-wise conv
    space_max_budget = 10**8
    space_columns = ("C", "C_int", "G1", "G2", "C_s", "paths")

    def complete(self, config):
        config.setdefault("Cout", config["C"])

    def validate(self, config):
        C, Cout, G1, G2 = config["C"], config["Cout"], config["G1"], config["G2"]
        Cint = convs(self.chain(**config))[0].cout
        check_divides(G1, C, f"{self.name} G1 (input C={C})")
        check_divides(G1, Cint, f"{self.name} G1 (t·C={Cint})")
        check_divides(G2, Cint, f"{self.name} G2 (t·C={Cint})")
        check_divides(G2, Cout, f"{self.name} G2 (Cout={Cout})")

    def chain(self, C, t, G1, G2, k, Cout, **_):
        Cint = t * C
        return make_chain(
            [C, Cint, Cint, Cout],
            [G1, Cint, G2],
            [1, k, 1],
            ["s", "s"],
            names=[
                f"1×1 group conv expand ({G1} groups)",
                f"channel-wise {k}×{k} conv",
                f"1×1 group conv reduce ({G2} groups)",
            ],
        )

    def spec(self, config):
        text = super().spec({k: v for k, v in config.items() if k != "Cout"})
        if config["Cout"] != config["C"]:
            text += f",Cout={config['Cout']}"
        return text

    def named_widths(self, chain):
        return {"C_int": convs(chain)[0].cout}

    def paper_rule(self, config):
        return config["C"] % (config["G1"] * config["G2"]) == 0

    def display_config(self, config):
        return {key: value for key, value in config.items()
                if key != "k" and not (key == "Cout" and value == config["C"]) and not (key == "s" and value == 1)}

    # --- widest: C_out = C, every C the group convs divide --------------------------------
    def _config(self, C: int, k: int, t: int, g1: int, g2: int) -> dict:
        return {"C": C, "t": t, "G1": g1, "G2": g2, "k": k, "Cout": C}

    def _step(self, g1: int, g2: int) -> int:
        """Widths the group convs divide with C_out = C: the multiples of lcm(G1, G2)."""
        return g1 * g2 // math.gcd(g1, g2)

    def _largest_fitting(self, budget: int, k: int, t: int, g1: int, g2: int) -> int:
        step = self._step(g1, g2)
        cost = lambda j: self.params(**self._config(j * step, k, t, g1, g2))  # noqa: E731
        return step * largest_at_most(cost, budget, f.igcv3_C_root(k, t, g1, g2, budget) / step)

    def _widest_at(self, budget: int, k: int, t: int, g1: int, g2: int, accept) -> int | None:
        """The widest accepted C at one (t, G1, G2), or None."""
        step = self._step(g1, g2)
        top = self._largest_fitting(budget, k, t, g1, g2)
        return accepted_down(top, step, lambda C: accept(self._config(C, k, t, g1, g2)), lo=step)

    def _key(self, config: dict) -> tuple:
        """Widest first; ties: fewer params, then fewer groups, smaller t."""
        return (-config["C"], self.params(**config), config["G1"] + config["G2"], config["t"], config["G1"])

    def widest_config(self, budget, k, options, accept):
        """The widest over every (t, G1, G2) of options.igcv3_settings()."""
        found = []
        for t, g1, g2 in options.igcv3_settings():
            C = self._widest_at(budget, k, t, g1, g2, accept)
            if C:
                found.append(self._config(C, k, t, g1, g2))
        return min(found, key=self._key) if found else None

    def near_configs(self, budget, k, best, floor_width, limit, options, accept):
        configs = []
        for t, g1, g2 in options.igcv3_settings():
            step = self._step(g1, g2)
            C = self._widest_at(budget, k, t, g1, g2, accept) or 0
            found = 0
            while C >= max(floor_width, 1) and found < limit:
                config = self._config(C, k, t, g1, g2)
                if accept(config):
                    configs.append(config)
                    found += 1
                C -= step
        return sorted(configs, key=self._key)[:limit]

    def same_width_groups(self, cin: int, cout: int) -> list[tuple[int, int]]:
        """(G1, G2) with G1 | cin and G2 | cout; MobileNetV2's (1, 1) is its own family."""
        return [(g1, g2) for g1 in divisors(cin) for g2 in divisors(cout) if (g1, g2) != (1, 1)]

    def same_width_configs(self, cin, cout, k, max_params):
        """Every (t, G1, G2) of a cin → cout block within max_params: G1 | cin, G2 | cout and
        G2 | t·C, t from 1 while the block fits (params grow with t)."""
        for g1, g2 in self.same_width_groups(cin, cout):
            t = 1
            while True:
                config = {"C": cin, "t": t, "G1": g1, "G2": g2, "k": k, "Cout": cout}
                if self.params(**config) > max_params:
                    break
                if (t * cin) % g2 == 0:
                    yield config
                t += 1

    def smallest_config(self, k, options):
        return self._config(self._step(options.g1, options.g2), k, options.expansion, options.g1, options.g2)

    def smallest_configs(self, k, options):
        return [self._config(self._step(g1, g2), k, t, g1, g2) for t, g1, g2 in options.igcv3_settings()]

    def bound(self, budget, k, options):
        """The real width at the (t, G1, G2) that allows the widest (named, when the search ranges)."""
        settings = options.igcv3_settings()
        width, t, g1, g2 = max((f.igcv3_C_root(k, t, g1, g2, budget), t, g1, g2) for t, g1, g2 in settings)
        return {"width": width} if len(settings) == 1 else {"width": width, "t": t, "G1": g1, "G2": g2}

    # --- table: one row per (G1, G2) ------------------------------------------------------
    def table_part(self, budget, k, tolerance, options, accept):
        """For each (G1, G2), the accepted width C closest to budget at expansion t."""
        t = options.expansion
        rows, widest = [], None
        for g1 in options.groups:
            for g2 in options.groups:
                step = self._step(g1, g2)
                ok = lambda C, g1=g1, g2=g2: accept(self._config(C, k, t, g1, g2))  # noqa: E731
                cost = lambda C, g1=g1, g2=g2: self.params(**self._config(C, k, t, g1, g2))  # noqa: E731
                top = self._largest_fitting(budget, k, t, g1, g2)
                below = accepted_down(top, step, ok, lo=step) if top >= step else None
                above = accepted_up(top + step, step, ok)
                row = lambda C, g1=g1, g2=g2: {  # noqa: E731
                    "config": self._config(C, k, t, g1, g2), "G1": g1, "G2": g2, "C": C,
                    "bound_width": f.igcv3_C_root(k, t, g1, g2, budget)}
                C = nearer(cost, budget, below, above)
                if C is not None:
                    rows.append(row(C))
                if below and (widest is None or (-below, cost(below)) < widest[0]):
                    widest = ((-below, cost(below)), row(below))
        bound = {"width": f.igcv3_C_root(k, t, 2, 2, budget), "G1": 2, "G2": 2, "t": t}
        return {"rows": rows, "widest": widest[1] if widest else None, "order": ("G1", "G2", "C"),
                "bound": bound, "extra": {"expansion": t},
                "columns": ["G1", "G2", "C", "C_int", "params", "C_s", "paths", "verdict", "ratio", "dev_pct",
                            "within_tolerance", "widest"]}

    # --- space: every (C, G1, G2) the group convs divide -------------------------------------
    def space_axes(self, budget, k, options, channelwise, progress=None):
        """Every (C, G1, G2) with G1 | C and G2 | C (C_out = C) that may fit, as arrays.

        The loops are bounded before anything is counted: each 1×1 conv costs t·C²/G and the
        channel-wise conv t·C·S; and a chain whose pairs are all joined needs ∏(cin/groups) =
        (C/G1)·(t·C/G2) ≥ C inputs' worth of paths, so G1·G2 ≤ t·C, and with it the 1×1 convs
        cost at least G1·G2·(G1 + G2)/t. The exact tests are the chain's count and its verdict.
        """
        import numpy as np

        t, S = options.expansion, k * k
        c_max = budget // (t * S)
        g1s, g2s, Cs = [], [], []
        g1 = 1
        while g1 * (g1 + 1) <= t * budget and g1 <= c_max:  # G1·G2·(G1 + G2) ≤ t·budget, G2 ≥ 1
            g2 = np.arange(1, min(c_max, math.isqrt(t * budget // g1)) + 1, dtype=np.int64)
            g2 = g2[g1 * g2 * (g1 + g2) <= t * budget]
            if not len(g2):
                break
            unit = g1 * g2 // np.gcd(g1, g2)
            c_top = np.minimum(min(c_max, math.isqrt(budget * g1 // t)), np.sqrt(budget * g2 / t).astype(np.int64) + 1)
            j_min = -(-(g1 * g2) // (t * unit))  # G1·G2 ≤ t·C
            n = np.maximum(c_top // unit - j_min + 1, 0)
            g2, unit, j_min, n = g2[n > 0], unit[n > 0], j_min[n > 0], n[n > 0]
            total = int(n.sum())
            if total:
                g1s.append(np.full(total, g1, dtype=np.int64))
                g2s.append(np.repeat(g2, n))
                j = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n) + np.repeat(j_min, n)
                Cs.append(j * np.repeat(unit, n))
            g1 += 1
        G1, G2, C = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (g1s, g2s, Cs))
        return [({"C": C, "t": t, "G1": G1, "G2": G2, "Cout": C}, C)]

    def space_specs(self, frame, k, options):
        return ("igcv3:C=" + frame["C"].astype(str) + f",t={options.expansion},G1=" + frame["G1"].astype(str)
                + ",G2=" + frame["G2"].astype(str) + f",k={k}")

    # --- symbols ---------------------------------------------------------------------------
    def symbolic_config(self):
        from igcdesign.symbolic import symbols as sy

        return {"C": sy.C, "t": sy.t, "G1": sy.G1, "G2": sy.G2, "k": sy.k, "Cout": sy.Cout}

    def derivation(self):
        """params = C_int(C/G1 + S + C_out/G2); C_s = G1·G2 super-channels; C_int/(G1·G2) paths."""
        import sympy as sp

        from igcdesign.symbolic import symbols as sy
        from igcdesign.symbolic.derivations import Derivation, quadratic_root

        C, S, T, t, G1, G2, Cout, Cint = sy.C, sy.S, sy.T, sy.t, sy.G1, sy.G2, sy.Cout, sy.Cint
        d = Derivation(self.name)
        chain = self.chain(**self.symbolic_config())
        params = sy.in_S(self.params(**self.symbolic_config()))
        per_channel = sp.expand(params / (t * C))
        d.add("Block parameters, summed over the chain's layers", sp.Eq(T, params))
        d.add("With C_int = t·C", sp.Eq(T, Cint * per_channel))
        expand, _, reduce = convs(chain)
        fan_out = sp.simplify(expand.cout / expand.groups)
        fan_in = sp.simplify(reduce.cin / reduce.groups)
        d.add("An input channel reaches, through the G1-group expansion, C_int/G1 channels",
              sp.Eq(sp.Symbol("fan_out"), fan_out.subs(t * C, Cint)))
        d.add("An output channel gathers, through the G2-group reduction, C_int/G2 channels",
              sp.Eq(sp.Symbol("fan_in"), fan_in.subs(t * C, Cint)))
        total = fan_out * sp.simplify(reduce.cout / reduce.groups)
        paths = sp.simplify(total / reduce.cout)
        d.add("The shuffle spreads each expansion group evenly over the reduction groups, so every "
              "(input, output) pair is joined by", sp.Eq(sp.Symbol("p"), paths.subs(t * C, Cint)),
              "when G1·G2 divides C_int; otherwise the counts differ between pairs (check says redundant)")
        d.add("Super-channels: each layer split into", sp.Eq(sp.Symbol("C_s"), G1 * G2),
              "the complementary condition holds between super-channels")
        d.add("MobileNetV2 (G1 = G2 = 1)", sp.Eq(T, (Cint * per_channel).subs({G1: 1, G2: 1})))
        square = params.subs(Cout, C)
        d.results.update(params=params, paths=paths, super_channels=G1 * G2,
                         C_root=quadratic_root(square - T, C))
        return d

    def formulas(self):
        from igcdesign.symbolic import symbols as sy

        r = self.derivation().results
        return [("float", "igcv3_C_root", (sy.k, sy.t, sy.G1, sy.G2, sy.T), r["C_root"],
                 "Real width C of an IGCV3 block (C_out = C) with exactly T weights.")]


class MobileNetV2(IGCV3):
    """MobileNetV2's bottleneck: an IGCV3 block with dense 1×1 convs (G1 = G2 = 1)."""

    name = "mobilenetv2"
    summary = "MobileNetV2 bottleneck (igcv3 with G1 = G2 = 1)"
    int_keys = ("C", "t", "k", "Cout")
    defaults = {"k": 3, "t": 6, "G1": 1, "G2": 1}
    supports = frozenset()
    widest_by_default = False
    paper_rule_text = None

    def same_width_groups(self, cin, cout):
        return [(1, 1)]

    def same_width_configs(self, cin, cout, k, max_params):
        for config in super().same_width_configs(cin, cout, k, max_params):
            yield {key: value for key, value in config.items() if key not in ("G1", "G2")}
