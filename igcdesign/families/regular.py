"""The dense k×k convolution, C → C: the baseline every IGC block is measured against."""

from igcdesign import formulas as f
from igcdesign.families.base import Family, make_chain
from igcdesign.families.integers import largest_at_most


class Regular(Family):
    name = "regular"
    summary = "dense k×k conv, C → C"
    int_keys = ("C", "k")
    required = ("C",)
    supports = frozenset({"widest"})
    widest_by_default = True

    def chain(self, C, k, **_):
        return make_chain([C, C], [1], [k], [], names=[f"{k}×{k} conv"])

    # --- widest: one width, every C valid --------------------------------------------
    def widest_config(self, budget, k, options, accept):
        return widest_single_width(self, budget, k, f.regular_C_root(k, budget), accept)

    def near_configs(self, budget, k, best, floor_width, limit, options, accept):
        return near_single_width(best, floor_width, limit, k, accept)

    def smallest_config(self, k, options):
        return {"C": 1, "k": k}

    def same_width_configs(self, cin, cout, k, max_params):
        return single_width_configs(self, cin, cout, k, max_params)

    def bound(self, budget, k, options):
        return {"width": f.regular_C_root(k, budget)}

    # --- symbols -------------------------------------------------------------------
    def symbolic_config(self):
        from igcdesign.symbolic import symbols as sy

        return {"C": sy.C, "k": sy.k}

    def formulas(self):
        from igcdesign.symbolic import symbols as sy
        from igcdesign.symbolic.derivations import quadratic_root

        params = self.params(**self.symbolic_config())
        return [("float", "regular_C_root", (sy.k, sy.T), quadratic_root(params - sy.T, sy.C),
                 "Real width C of a regular conv with exactly T weights.")]


def widest_single_width(family: Family, budget: int, k: int, guess: float, accept) -> dict | None:
    """The largest accepted C whose block {C, k} fits (families with one width key and no other)."""
    from igcdesign.families.integers import accepted_down

    top = largest_at_most(lambda c: family.params(C=c, k=k), budget, guess)
    C = accepted_down(top, 1, lambda c: accept({"C": c, "k": k})) if top >= 1 else None
    return {"C": C, "k": k} if C else None


def single_width_configs(family: Family, cin: int, cout: int, k: int, max_params: int):
    """The one block {C = cin, k} of a family with one width key, when cin = cout and it fits."""
    if cin == cout and family.params(C=cin, k=k) <= max_params:
        yield {"C": cin, "k": k}


def near_single_width(best: dict, floor_width: int, limit: int, k: int, accept) -> list[dict]:
    configs = []
    C = best["C"]
    while C >= floor_width and len(configs) < limit:
        if accept({"C": C, "k": k}):
            configs.append({"C": C, "k": k})
        C -= 1
    return configs
