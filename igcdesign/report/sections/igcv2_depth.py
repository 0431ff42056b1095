"""IGCV2 at about 4700 params: the balanced strictly complementary chain nearest the budget at
every depth, with the continuous optimum L = 1 + ln C."""

from __future__ import annotations

from pathlib import Path

TITLE = "IGCV2: width against the number of group convs at about 4700 params"
ORDER = 25
BUDGET = 4700
K = 3


def paper_block() -> dict:
    """The IGCV2 block of the paper's Table 2 (igcdesign/data/igcv2_table2_blocks.csv) nearest BUDGET."""
    from igcdesign.counting import count_block
    from igcdesign.report.reference import read_reference
    from igcdesign.families import parse_block

    rows = [r for r in read_reference("igcv2_table2_blocks.csv") if r["spec"].startswith("igcv2:")]
    ref = min(rows, key=lambda r: abs(int(r["params"]) - BUDGET))
    block = parse_block(ref["spec"])
    K = block.config["K"]
    return {"K": "x".join(map(str, K)), "L": len(K), "width": block.width, "params": count_block(block).params,
            "printed_params": int(ref["params"])}


def write(out: Path) -> str:
    from igcdesign.plots import igcv2_depth_plot
    from igcdesign.report.markdown import markdown_table
    from igcdesign.files import write_csv
    from igcdesign.tables import igcv2_table

    table = igcv2_table(BUDGET, K)
    paper = paper_block()
    rows = [dict(r, ratio=round(r["ratio"], 3), dev_pct=round(r["dev_pct"], 2),
                 paper_params=paper["printed_params"] if r["K"] == paper["K"] else None) for r in table.rows]
    columns = ["L", "K", "width", "params", "paper_params", "dev_pct", "ratio", "within_tolerance", "near_ln_C", "widest"]
    headers = ["L (group convs)", "K", "width C", "params", "printed (Table 2)", "Δ vs 4700 (%)", "width/regular", "within ±5 %", "L nearest 1 + ln C", "widest"]
    write_csv(out / "igcv2_depth.csv", rows, columns + ["n_1x1", "spec"])
    igcv2_depth_plot(out / "igcv2_depth.png", BUDGET, K)
    b = table.bound
    best = table.widest()
    marked = next(r for r in table.rows if r["near_ln_C"])
    return (
        "IGCV2 (Xie et al., CVPR 2018) at the budget of its Table 2's smallest blocks: a channel-wise "
        "3×3 conv (K₁ = 1) followed by L − 1 balanced 1×1 group convs (every K in {b, b + 1}, ∏K = C, "
        "so the chain is strictly complementary), for each depth the K whose count C·(9 + ΣK) is "
        f"nearest 4700. The paper's Table 2 block at this budget is {paper['K']} (L = {paper['L']}, "
        f"width {paper['width']}, {paper['params']:,} params).\n\n"
        + markdown_table(rows, columns, headers, bold=[r["widest"] for r in rows])
        + f"\nContinuous optimum: C = {b['width']:.1f} solving C·(9 + e·ln C) = 4700, at L = 1 + ln C = "
        f"{b['L']:.2f}; the depth nearest it is L = {marked['L']}. Integer branch sizes move the count "
        f"in large steps, so the widest row within ±5 % is L = {best['L']} ({best['K']}, width {best['width']}), "
        f"{best['width'] / paper['width']:.2f}× the width of the paper's {paper['K']}.\n\n"
        "![IGCV2 width and params against depth](igcv2_depth.png)\n\nData: [igcv2_depth.csv](igcv2_depth.csv).\n"
    )
