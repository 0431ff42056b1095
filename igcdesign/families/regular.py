"""The dense k×k convolution, C → C: the baseline every IGC block is measured against."""

from igcdesign.families.base import Family, make_chain


class Regular(Family):
    name = "regular"
    summary = "dense k×k conv, C → C"
    int_keys = ("C", "k")
    required = ("C",)

    def chain(self, C, k, **_):
        return make_chain([C, C], [1], [k], [], names=[f"{k}×{k} conv"])
