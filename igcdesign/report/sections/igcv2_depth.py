"""IGCV2 within 4700 params: the widest strictly complementary chain within the budget at every
depth (igcdesign.igcv2_depth), with the continuous optimum L = 1 + ln C."""

from __future__ import annotations

from pathlib import Path

TITLE = "IGCV2: width against the number of group convs within 4700 params"
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
    from igcdesign.families import FAMILIES, DesignOptions
    from igcdesign.files import write_csv
    from igcdesign.igcv2_depth import depth_rows, mark_near_ln_C
    from igcdesign.plots import igcv2_depth_plot
    from igcdesign.report.markdown import markdown_table
    from igcdesign.tables import igcv2_table

    found = depth_rows(BUDGET, K)
    b = dict(FAMILIES["igcv2"].bound(BUDGET, K, DesignOptions()))
    mark_near_ln_C(found, b.get("L"))
    paper = paper_block()
    nearest = {r["L"]: r for r in igcv2_table(BUDGET, K).rows}  # `table --family igcv2`: nearest 4700
    rows = []
    for r in found:
        near = nearest.get(r["L"], {})
        rows.append(dict(r, ratio=round(r["ratio"], 3), dev_pct=round(r["dev_pct"], 2),
                         nearest_K=near.get("K"), nearest_params=near.get("params"),
                         paper_params=paper["printed_params"] if near.get("K") == paper["K"] else None))
    columns = ["L", "K", "width", "params", "dev_pct", "ratio", "near_ln_C", "widest",
               "nearest_K", "nearest_params", "paper_params"]
    headers = ["L (group convs)", "K", "width C", "params", "Δ vs 4700 (%)", "width/regular",
               "L nearest 1 + ln C", "widest", "nearest 4700: K", "its params", "printed (Table 2)"]
    write_csv(out / "igcv2_depth.csv", rows, columns + ["n_1x1", "spec"])
    igcv2_depth_plot(out / "igcv2_depth.png", BUDGET, K)
    best = next(r for r in found if r["widest"])
    marked = next(r for r in found if r["near_ln_C"])
    deeper = [r["width"] for r in found if r["L"] > best["L"]]
    after = (f"From L = {best['L']} on the width stays at {best['width']}" if deeper and set(deeper) == {best["width"]}
             else f"Past L = {best['L']} the width does not grow")
    over = paper["params"] > BUDGET
    paper_note = (f" The paper's Table 2 block at this budget is {paper['K']} (L = {paper['L']}, width "
                  f"{paper['width']}, {paper['params']:,} params"
                  + (f", {paper['params'] - BUDGET:,} over 4700" if over else "") + "); the last columns show, "
                  "apart, the block nearest 4700 at each depth (`igcdesign table --family igcv2`), over the budget or not.")
    return (
        "IGCV2 (Xie et al., CVPR 2018) at the budget of its Table 2's smallest blocks: a channel-wise "
        "3×3 conv (K₁ = 1) followed by L − 1 1×1 group convs with ∏K = C (strictly complementary). "
        "For each depth the row is the widest such block whose count C·(9 + ΣK) is within 4700 "
        "(ties: fewer params), found exactly, so no row is over the budget." + paper_note + "\n\n"
        + markdown_table(rows, columns, headers, bold=[r["widest"] for r in rows])
        + f"\nContinuous optimum: C = {b['width']:.1f} solving C·(9 + e·ln C) = 4700, at L = 1 + ln C = "
        f"{b['L']:.2f}; the depth nearest it is L = {marked['L']}. {after}: another 1×1 conv costs C params, "
        "so the branches must shrink to pay for it. The widest "
        f"row is L = {best['L']} ({best['K']}, width {best['width']}, {best['params']:,} params), "
        f"{best['width'] / paper['width']:.2f}× the width of the paper's {paper['K']}; "
        f"`igcdesign widest --params 4700 --family igcv2` gives the same width.\n\n"
        "![IGCV2 width and params against depth](igcv2_depth.png)\n\nData: [igcv2_depth.csv](igcv2_depth.csv).\n"
    )
