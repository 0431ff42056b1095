"""IGCV2 Table 2: the per-block params and multiply-adds of the Xception and IGCV2 blocks it names."""

from __future__ import annotations

from pathlib import Path

TITLE = "IGCV2 Table 2: Xception and IGCV2 blocks"
ORDER = 20
HW = 32


def rows() -> list[dict]:
    """Each block of the paper's table, counted from its spec, beside the printed numbers."""
    from igcdesign.counting import count_block
    from igcdesign.report.reference import read_reference
    from igcdesign.families import parse_block

    out = []
    for ref in read_reference("igcv2_table2_blocks.csv"):
        block = parse_block(ref["spec"])
        count = count_block(block, HW)
        printed_p, printed_m, printed_w = int(ref["params"]), int(ref["mult_adds_32x32"]), int(ref["width"])
        out.append({
            "block": ref["block"],
            "spec": count.spec,
            "width": count.width,
            "params": count.params,
            "paper_params": printed_p,
            "diff_params": count.params - printed_p,
            "mult_adds": count.mult_adds,
            "paper_mult_adds": printed_m,
            "diff_mult_adds": count.mult_adds - printed_m,
            "diff_width": count.width - printed_w,
        })
    return out


COLUMNS = ["block", "spec", "width", "params", "paper_params", "diff_params", "mult_adds", "paper_mult_adds", "diff_mult_adds"]


def write(out: Path) -> str:
    from igcdesign.report.markdown import markdown_table
    from igcdesign.files import write_csv

    table = rows()
    write_csv(out / "igcv2_table2.csv", table, COLUMNS + ["diff_width"])
    mismatches = [r for r in table if r["diff_params"] or r["diff_mult_adds"] or r["diff_width"]]
    verdict = (
        "Every block reproduces exactly (params and multiply-adds on a 32×32 map)."
        if not mismatches
        else "Blocks that differ from the printed numbers: " + ", ".join(r["spec"] for r in mismatches) + "."
    )
    return (
        "The blocks of IGCV2 (Xie et al., CVPR 2018) Table 2 at its three budgets, counted from their "
        "specs: params Q = C·(S·K₁ + K₂ + … + K_L), multiply-adds = Q·32·32.\n\n"
        + markdown_table(table, COLUMNS)
        + f"\n{verdict} Data: [igcv2_table2.csv](igcv2_table2.csv).\n"
    )
