"""The dense k×k convolution, C → C: the baseline every IGC block is measured against; and
:class:`SingleWidthFamily`, what every family whose only width key is C shares."""

from igcdesign import formulas as f
from igcdesign.families.base import Family, make_chain
from igcdesign.families.integers import largest_at_most


class SingleWidthFamily(Family):
    """A family with one width key C (and k): every C is a block, its real width for a budget T
    is the generated formula `root_name` (derived here from the family's own params), and its
    drop-in for cin → cout is {C = cin} when cin = cout. Subclasses give the chain, the root's
    name, what it means, and _root calling it."""

    int_keys = ("C", "k")
    required = ("C",)
    supports = frozenset({"widest"})
    widest_by_default = True
    root_name: str  # the generated formula of the real width (formulas.py), which _root calls
    root_doc: str

    def _root(self, k, budget):
        raise NotImplementedError

    # --- widest: one width, every C valid --------------------------------------------
    def widest_config(self, budget, k, options, accept):
        """The largest accepted C whose block {C, k} fits."""
        from igcdesign.families.integers import accepted_down

        top = largest_at_most(lambda c: self.params(C=c, k=k), budget, self._root(k, budget))
        C = accepted_down(top, 1, lambda c: accept({"C": c, "k": k})) if top >= 1 else None
        return {"C": C, "k": k} if C else None

    def near_configs(self, budget, k, best, floor_width, limit, options, accept):
        configs = []
        C = best["C"]
        while C >= floor_width and len(configs) < limit:
            if accept({"C": C, "k": k}):
                configs.append({"C": C, "k": k})
            C -= 1
        return configs

    def smallest_config(self, k, options):
        return {"C": 1, "k": k}

    def same_width_configs(self, cin, cout, k, max_params):
        """The one block {C = cin, k}, when cin = cout and it fits."""
        if cin == cout and self.params(C=cin, k=k) <= max_params:
            yield {"C": cin, "k": k}

    def bound(self, budget, k, options):
        return {"width": self._root(k, budget)}

    # --- symbols -------------------------------------------------------------------
    def symbolic_config(self):
        from igcdesign.symbolic import symbols as sy

        return {"C": sy.C, "k": sy.k}

    def formulas(self):
        from igcdesign.symbolic import symbols as sy
        from igcdesign.symbolic.derivations import quadratic_root

        params = self.params(**self.symbolic_config())
        return [("float", self.root_name, (sy.k, sy.T), quadratic_root(params - sy.T, sy.C), self.root_doc)]


class Regular(SingleWidthFamily):
    name = "regular"
    summary = "dense k×k conv, C → C"
    root_name = "regular_C_root"
    root_doc = "Real width C of a regular conv with exactly T weights."

    def _root(self, k, budget):
        return f.regular_C_root(k, budget)

    def chain(self, C, k, **_):
        return make_chain([C, C], [1], [k], [], names=[f"{k}×{k} conv"])
