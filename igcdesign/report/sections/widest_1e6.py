"""The widest block of each family within 10⁶ params (igcdesign.search.widest_all)."""

from __future__ import annotations

from pathlib import Path

TITLE = "Widest block of each family within 10⁶ params"
ORDER = 60
BUDGET = 10**6
K = 3


def write(out: Path) -> str:
    from igcdesign.report.markdown import markdown_table
    from igcdesign.files import write_csv
    from igcdesign.search import widest_all

    rows = []
    for r in widest_all(BUDGET, K):
        d = r.as_dict()
        rows.append({"family": d["family"], "spec": d["spec"], "width": d["width"], "params": d["params"],
                     "layers": d["layers"], "ratio": round(d["ratio_to_regular"], 3) if d["ratio_to_regular"] else None,
                     "bound_width": round(d["bound"]["width"], 2)})
    columns = ["family", "spec", "width", "params", "layers", "ratio", "bound_width"]
    write_csv(out / "widest_1e6.csv", rows, columns)
    return (
        "Exact integer optima within 1,000,000 conv weights, k = 3 (ties: fewer params), among the "
        "blocks `check` calls strict or relaxed; IGCV3 at t = 6, G1 = G2 = 2 (C = 402 is relaxed "
        "though no multiple of G1·G2; `--rule paper` gives C = 400). 'bound' is the continuous optimum.\n\n"
        + markdown_table(rows, columns, ["family", "block", "width", "params", "convs", "width/regular", "bound"])
        + "\nReproduce: `igcdesign widest --params 1e6`. Data: [widest_1e6.csv](widest_1e6.csv).\n"
    )
