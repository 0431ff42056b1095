"""Width against budget for every family (figure + CSV of the plotted points)."""

from __future__ import annotations

from pathlib import Path

TITLE = "Width against parameter budget"
ORDER = 50
K = 3


def write(out: Path) -> str:
    from igcdesign.plots import width_vs_params
    from igcdesign.files import write_csv

    data = width_vs_params(out / "width_vs_params.png", K)
    families = list(data["series"])
    rows = [{"budget": T, **{f: data["series"][f][i] for f in families}, "igcv1_bound": data["igcv1_bound"][i]}
            for i, T in enumerate(data["budgets"])]
    write_csv(out / "width_vs_params.csv", rows, ["budget", *families, "igcv1_bound"])
    last = rows[-1]
    return (
        "The widest block of each family within a budget of 10³ … 10⁸ conv weights (k = 3; exact "
        "integer optima from `igcdesign widest`, 40 budgets per decade), log-log; IGCV1's continuous "
        "bound (T/(2√S))^(2/3) dashed, and a linear close-up of IGCV1's integer steps on the right. "
        f"At T = {last['budget']:,}: regular {last['regular']:,}, depthwise separable {last['dwsep']:,}, "
        f"IGCV1 {last['igcv1']:,}, IGCV2 {last['igcv2']:,}, IGCV3 (t = 6, G1 = G2 = 2) {last['igcv3']:,} channels.\n\n"
        "![width against params](width_vs_params.png)\n\nData: [width_vs_params.csv](width_vs_params.csv).\n"
    )
