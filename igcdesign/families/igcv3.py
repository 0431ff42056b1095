"""IGCV3 (Sun et al., BMVC 2018): MobileNetV2's inverted bottleneck of group convs.

1×1 group conv (G1 groups) C → t·C, shuffle, k×k channel-wise conv, 1×1 group conv (G2 groups)
t·C → C_out. MobileNetV2's bottleneck is the same block with G1 = G2 = 1.
"""

from igcdesign.families.base import Family, check_divides, make_chain


class IGCV3(Family):
    name = "igcv3"
    summary = "IGCV3 block: 1×1 group conv (G1) → t·C, shuffle, channel-wise k×k, 1×1 group conv (G2)"
    int_keys = ("C", "t", "G1", "G2", "k", "Cout")
    required = ("C",)
    defaults = {"k": 3, "t": 6, "G1": 2, "G2": 2}

    def complete(self, config):
        config.setdefault("Cout", config["C"])

    def validate(self, config):
        C, Cout, G1, G2 = config["C"], config["Cout"], config["G1"], config["G2"]
        Cint = config["t"] * C
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


class MobileNetV2(IGCV3):
    """MobileNetV2's bottleneck: an IGCV3 block with dense 1×1 convs (G1 = G2 = 1)."""

    name = "mobilenetv2"
    summary = "MobileNetV2 bottleneck (igcv3 with G1 = G2 = 1)"
    int_keys = ("C", "t", "k", "Cout")
    defaults = {"k": 3, "t": 6, "G1": 1, "G2": 1}
