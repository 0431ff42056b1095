"""The depthwise-separable unit (Xception, MobileNetV1): channel-wise k×k, then dense 1×1."""

from igcdesign import formulas as f
from igcdesign.families.base import make_chain
from igcdesign.families.regular import SingleWidthFamily


class DWSep(SingleWidthFamily):
    name = "dwsep"
    summary = "channel-wise k×k + dense 1×1 (Xception / MobileNetV1 unit)"
    root_name = "dwsep_C_root"
    root_doc = "Real width C of a depthwise-separable unit with exactly T weights."

    def _root(self, k, budget):
        return f.dwsep_C_root(k, budget)

    def chain(self, C, k, **_):
        return make_chain(
            [C, C, C], [C, 1], [k, 1], ["s"], names=[f"channel-wise {k}×{k} conv", "1×1 conv"]
        )
