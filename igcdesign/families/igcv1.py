"""IGCV1 (Zhang et al., ICCV 2017): primary k×k group conv with L partitions of M channels,
interleave, secondary 1×1 group conv with M partitions of L channels, permute back."""

from igcdesign.families.base import Family, make_chain


class IGCV1(Family):
    name = "igcv1"
    summary = "IGCV1 block, width L·M"
    int_keys = ("L", "M", "k")
    required = ("L", "M")

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
