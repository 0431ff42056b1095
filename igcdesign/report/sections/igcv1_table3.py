"""IGCV1 Table 3: whole CIFAR networks (RegConv-Wc and IGC-LxMy) at depths 8, 20, 38, 62 and 98,
counted exactly by `igcdesign net`, beside the params and multiply-adds the paper printed
(igcdesign/data/igcv1_table3_cifar.csv has depths 8 and 20)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

TITLE = "IGCV1 Table 3: CIFAR networks at depths 8–98"
ORDER = 30
DEPTHS = (8, 20, 38, 62, 98)
BASELINE = "RegConv-W16"


def net_spec(network: str, depth: int) -> str:
    """The paper's name ('RegConv-W16', 'IGC-L4M8') → our network spec at `depth`."""
    if m := re.fullmatch(r"RegConv-W(\d+)", network):
        return f"regular-cifar:C={m[1]},D={depth}"
    if m := re.fullmatch(r"IGC-L(\d+)M(\d+)", network):
        return f"igcv1-cifar:L={m[1]},M={m[2]},D={depth}"
    raise ValueError(f"unknown IGCV1 Table 3 network name {network!r}")


def as_printed(exact: int, scale: int, printed: str) -> str:
    """exact / scale rounded half-up to the printed value's number of decimals."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return str((Decimal(exact) / Decimal(scale)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def rows() -> list[dict]:
    """One row per (network, depth): exact counts, the paper's numbers where printed, ratios to RegConv-W16."""
    from igcdesign.nets import count_net
    from igcdesign.report.reference import read_reference

    printed = {(r["network"], int(r["depth"])): r for r in read_reference("igcv1_table3_cifar.csv")}
    networks = list(dict.fromkeys(name for name, _ in printed))
    out = []
    for depth in DEPTHS:
        counts = {name: count_net(net_spec(name, depth)) for name in networks}
        base = counts.get(BASELINE)
        for name in networks:
            c = counts[name]
            ref = printed.get((name, depth))
            row = {
                "network": name,
                "depth": depth,
                "spec": c.net,
                "params": c.params,
                "params_M": f"{Decimal(c.params) / 10**6:.3f}",
                "paper_params_M": ref["params_M"] if ref else None,
                "mult_adds": c.mult_adds,
                "mult_adds_1e8": f"{Decimal(c.mult_adds) / 10**8:.3f}",
                "paper_mult_adds_1e8": ref["mult_adds_1e8"] if ref else None,
                "params_vs_W16": c.params / base.params if base else None,
                "mult_adds_vs_W16": c.mult_adds / base.mult_adds if base else None,
            }
            if ref:
                row["match"] = (
                    as_printed(c.params, 10**6, ref["params_M"]) == ref["params_M"]
                    and as_printed(c.mult_adds, 10**8, ref["mult_adds_1e8"]) == ref["mult_adds_1e8"]
                )
            out.append(row)
    return out


COLUMNS = [
    "network", "depth", "params", "params_M", "paper_params_M", "mult_adds", "mult_adds_1e8",
    "paper_mult_adds_1e8", "match", "params_vs_W16", "mult_adds_vs_W16",
]
HEADERS = [
    "network", "D", "params", "params (M)", "paper (M)", "mult-adds", "mult-adds (×10⁸)",
    "paper (×10⁸)", "matches paper", "params / W16", "mult-adds / W16",
]


def write(out: Path) -> str:
    from igcdesign.report.markdown import markdown_table
    from igcdesign.files import write_csv

    table = rows()
    write_csv(out / "igcv1_table3.csv", table, ["spec"] + COLUMNS)
    checked = [r for r in table if "match" in r]
    mismatched = [f"{r['network']} D={r['depth']}" for r in checked if not r["match"]]
    verdict = (
        f"All {len(checked)} printed rows (depths 8 and 20) reproduce at the paper's precision."
        if not mismatched
        else "Rows that differ from the paper at its printed precision: " + ", ".join(mismatched) + "."
    )
    shown = [{**r, "match": ("yes" if r["match"] else "no") if "match" in r else "–",
              "paper_params_M": r["paper_params_M"] or "–", "paper_mult_adds_1e8": r["paper_mult_adds_1e8"] or "–"}
             for r in table]
    return (
        "The plain CIFAR networks of IGCV1 (Zhang et al., ICCV 2017) Table 3, built by `igcdesign net` "
        "(`regular-cifar:C=c,D=d`, `igcv1-cifar:L=l,M=m,D=d`): 3×3 stem, three stages of (D − 2)/3 blocks "
        "at 32², 16², 8² with widths w, 2w, 4w, FC to 10 classes. Params are conv weights + FC weights "
        "and bias (no BN); multiply-adds of the convs and the FC on a 32×32 input. The paper printed "
        "depths 8 and 20; 38, 62 and 98 extend the same layout. Ratios are to RegConv-W16 at the same depth.\n\n"
        + markdown_table(shown, COLUMNS, HEADERS)
        + f"\n{verdict} Data: [igcv1_table3.csv](igcv1_table3.csv).\n"
    )
