"""The depthwise-separable unit (Xception, MobileNetV1): channel-wise k×k, then dense 1×1."""

from igcdesign.families.base import Family, make_chain


class DWSep(Family):
    name = "dwsep"
    summary = "channel-wise k×k + dense 1×1 (Xception / MobileNetV1 unit)"
    int_keys = ("C", "k")
    required = ("C",)

    def chain(self, C, k, **_):
        return make_chain(
            [C, C, C], [C, 1], [k, 1], ["s"], names=[f"channel-wise {k}×{k} conv", "1×1 conv"]
        )
