"""The depthwise-separable unit (Xception, MobileNetV1): channel-wise k×k, then dense 1×1."""

from igcdesign import formulas as f
from igcdesign.families.base import Family, make_chain
from igcdesign.families.regular import near_single_width, single_width_configs, widest_single_width


class DWSep(Family):
    name = "dwsep"
    summary = "channel-wise k×k + dense 1×1 (Xception / MobileNetV1 unit)"
    int_keys = ("C", "k")
    required = ("C",)
    supports = frozenset({"widest"})
    widest_by_default = True

    def chain(self, C, k, **_):
        return make_chain(
            [C, C, C], [C, 1], [k, 1], ["s"], names=[f"channel-wise {k}×{k} conv", "1×1 conv"]
        )

    def widest_config(self, budget, k, options, accept):
        return widest_single_width(self, budget, k, f.dwsep_C_root(k, budget), accept)

    def near_configs(self, budget, k, best, floor_width, limit, options, accept):
        return near_single_width(best, floor_width, limit, k, accept)

    def smallest_config(self, k, options):
        return {"C": 1, "k": k}

    def same_width_configs(self, cin, cout, k, max_params):
        return single_width_configs(self, cin, cout, k, max_params)

    def bound(self, budget, k, options):
        return {"width": f.dwsep_C_root(k, budget)}

    def symbolic_config(self):
        from igcdesign.symbolic import symbols as sy

        return {"C": sy.C, "k": sy.k}

    def formulas(self):
        from igcdesign.symbolic import symbols as sy
        from igcdesign.symbolic.derivations import quadratic_root

        params = self.params(**self.symbolic_config())
        return [("float", "dwsep_C_root", (sy.k, sy.T), quadratic_root(params - sy.T, sy.C),
                 "Real width C of a depthwise-separable unit with exactly T weights.")]
