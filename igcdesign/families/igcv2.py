"""IGCV2 (Xie et al., CVPR 2018): a chain of group convs with K_l channels per branch,
the first k×k, the rest 1×1, interleaved; strictly complementary when ∏K_l = C."""

from math import prod

from igcdesign.errors import SpecError
from igcdesign.families.base import Family, check_divides, make_chain
from igcdesign.layers import exact_div


class IGCV2(Family):
    name = "igcv2"
    summary = "IGCV2 chain; K = branch sizes, the first the k×k conv's"
    int_keys = ("C", "k")
    list_keys = {"K": "x"}
    required = ("K",)

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
        return text
