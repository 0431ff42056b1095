"""IGCV1 Table 1 at both budgets: every row of the complete table beside the printed numbers."""

from __future__ import annotations

from pathlib import Path

TITLE = "IGCV1 Table 1: width against (L, M) at 4672 and 17536 params"
ORDER = 10
BUDGETS = (4672, 17536)
K = 3


def printed(budget: int) -> list[dict[str, int]]:
    from igcdesign.report.reference import read_reference

    return [{key: int(v) for key, v in row.items()} for row in read_reference(f"igcv1_table1_budget{budget}.csv")]


def printing_errors() -> list[dict]:
    """Printed rows that contradict the paper's own definitions: width ≠ L·M, or params ≠ the
    block's count (9·L·M² + M·L², the chain's count). Found by computation, in file order."""
    from igcdesign.families import FAMILIES

    errors = []
    for budget in BUDGETS:
        for row in printed(budget):
            L, M = row["L"], row["M"]
            params = FAMILIES["igcv1"].params(L=L, M=M, k=K)
            wrong = []
            if row["width"] != L * M:
                wrong.append(f"width printed {row['width']}, but L·M = {L}·{M} = {L * M}")
            if row["params"] != params:
                wrong.append(f"params printed {row['params']:,}, but 9·L·M² + M·L² = {params:,}")
            if wrong:
                errors.append({"budget": budget, "L": L, "M": M, "what": "; ".join(wrong)})
    return errors


def side_by_side(budget: int) -> list[dict]:
    """Our complete table (every M) with the paper's printed values where it has the row."""
    from igcdesign.tables import igcv1_table

    paper = {(r["L"], r["M"]): r for r in printed(budget)}
    rows = []
    for r in igcv1_table(budget, K).rows:
        p = paper.get((r["L"], r["M"]))
        rows.append({
            "budget": budget, "L": r["L"], "M": r["M"], "params": r["params"], "width": r["width"],
            "ratio": round(r["ratio"], 3), "widest": r["widest"],
            "in_paper": p is not None,
            "paper_params": p["params"] if p else None,
            "diff_params": r["params"] - p["params"] if p else None,
            "paper_width": p["width"] if p else None,
            "diff_width": r["width"] - p["width"] if p else None,
            "paper_bold": bool(p["widest"]) if p else None,
        })
    missing = set(paper) - {(r["L"], r["M"]) for r in rows}
    if missing:  # a printed row our rule does not produce: show it rather than hide it
        for L, M in sorted(missing):
            p = paper[(L, M)]
            rows.append({"budget": budget, "L": L, "M": M, "in_paper": True, "paper_params": p["params"],
                         "paper_width": p["width"], "paper_bold": bool(p["widest"])})
    return rows


COLUMNS = ["L", "M", "params", "paper_params", "diff_params", "width", "paper_width", "diff_width", "ratio", "widest", "paper_bold"]
HEADERS = ["L", "M", "params", "printed params", "Δ params", "width L·M", "printed width", "Δ width", "width/regular", "widest (ours)", "bold (paper)"]


def strict_budget_note(budget: int, rows: list[dict]) -> str:
    """Where the paper's bold row exceeds T, say so and name the widest block within it."""
    from igcdesign.search import widest_all

    over = [r for r in rows if r.get("paper_bold") and r["params"] > budget]
    if not over:
        return ""
    strict = widest_all(budget, K, ["igcv1"])[0]
    row = over[0]
    return (
        f"The paper's bold row (L = {row['L']}, M = {row['M']}, {row['params']:,} params) lies "
        f"{row['params'] - budget:,} params over T, and above the continuous bound, which holds only "
        f"for params ≤ T. Within the budget (`igcdesign widest --params {budget}`) the widest block is "
        f"L = {strict.config['L']}, M = {strict.config['M']}: width {strict.width}, {strict.params:,} params, "
        "the bold row here.\n\n"
    )


def write(out: Path) -> str:
    from igcdesign.plots import igcv1_table_plot
    from igcdesign.report.markdown import markdown_table
    from igcdesign.files import write_csv
    from igcdesign.tables import igcv1_table

    all_rows = []
    text = (
        "IGCV1 (Zhang et al., ICCV 2017) Table 1 lists, for blocks of about 4672 and 17536 weights "
        "(k = 3, conv weights only), the width G = L·M for a few (L, M). Here the table is complete: "
        "for every M, the L whose count 9·L·M² + M·L² is closest to the budget (ties: fewer params), "
        "rows within ±5 %, and the widest block within the budget (what `igcdesign widest` answers; ties: "
        "fewer params) in bold, added as a row where the nearest rows leave it out. Printed values stand beside "
        "ours where the paper has the row; 'width/regular' divides by the widest regular 3×3 conv "
        "within the budget.\n"
    )
    for budget in BUDGETS:
        rows = side_by_side(budget)
        all_rows += rows
        table = igcv1_table(budget, K)
        b = table.bound
        paper_rows = [r for r in rows if r["in_paper"]]
        bold_agree = all(r.get("widest") == r["paper_bold"] for r in paper_rows)
        figure = f"igcv1_table1_{budget}.png"
        igcv1_table_plot(out / figure, budget, K, paper=[{"L": r["L"], "width": r["paper_width"]} for r in paper_rows])
        text += (
            f"\n### T ≈ {budget:,}\n\n"
            + markdown_table(rows, COLUMNS, HEADERS, bold=[bool(r.get("widest")) for r in rows])
            + f"\n{len(rows)} rows, {len(paper_rows)} of them printed in the paper. "
            + ("The paper's bold row is our widest row. " if bold_agree else "Our widest row differs from the paper's bold row. ")
            + f"Continuous bound: width (T/(2√S))^(2/3) = {b['width']:.1f} at L = M·S (L = {b['L']:.1f}, M = {b['M']:.2f}).\n\n"
            + strict_budget_note(budget, [r for r in rows if r.get("in_paper")])
            + f"![IGCV1 width against L at {budget}]({figure})\n"
        )
    errors = printing_errors()
    text += "\n### Printing errors in the paper's Table 1\n\n"
    if errors:
        text += ("These printed rows contradict the paper's own definitions (width = L·M, params = "
                 "9·L·M² + M·L²); the tables above keep the computed values and show the difference:\n\n")
        text += "".join(f"- T ≈ {e['budget']:,}, L = {e['L']}, M = {e['M']}: {e['what']}.\n" for e in errors)
    else:
        text += "None: every printed row agrees with width = L·M and params = 9·L·M² + M·L².\n"
    write_csv(out / "igcv1_table1.csv", all_rows,
              ["budget", "L", "M", "params", "width", "ratio", "widest", "in_paper", "paper_params", "diff_params",
               "paper_width", "diff_width", "paper_bold"])
    text += "\nData: [igcv1_table1.csv](igcv1_table1.csv).\n"
    return text
