"""igcify's report as text (no torch)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from igcdesign.output import console, print_table


def _ratio(after: int, before: int) -> str:
    return f"×{after / before:.2f}" if before else ""


def render_igcify(doc: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    replaced = [r for r in doc["replacements"] if r["after"]]
    table = Table(title=f"igcify {doc['model']}  ({'x'.join(map(str, doc['input']))} input, "
                        f"{len(replaced)} of {len(doc['replacements'])} convs replaced)")
    for col in ("conv", "map", "block", "params", "mult_adds", "mem_access"):
        table.add_column(col, justify="right" if col in ("params", "mult_adds", "mem_access", "map") else "left")
    for r in replaced:
        table.add_row(r["name"], str(r["hw"]), r["after"],
                      f"{r['params_before']:,} → {r['params_after']:,}",
                      f"{r['mult_adds_before']:,} → {r['mult_adds_after']:,}",
                      f"{r['mem_access_before']:,} → {r['mem_access_after']:,}")
    print_table(table, wrap=("conv",), drop=("mem_access", "map", "mult_adds"))
    b, a = doc["before"], doc["after"]
    for key in ("params", "mult_adds", "mem_access"):
        out.print(f"{key}: {b[key]:,} → {a[key]:,} ({_ratio(a[key], b[key])})", soft_wrap=False)
    kept = Counter(r["reason"] for r in doc["replacements"] if not r["after"])
    for reason, n in kept.most_common():
        out.print(f"kept {n} conv{'s' if n > 1 else ''}: {reason}", soft_wrap=False)
    if doc.get("latency"):
        for row in doc["latency"]:
            out.print(f"{row['spec']}: {row['latency_ms']:.3f} ms (IQR {row['iqr_ms']:.3f}) at batch {row['batch']}",
                      soft_wrap=False)
    for key in ("out", "out_stages"):
        if doc.get(key):
            out.print(f"wrote {doc[key]}", soft_wrap=False, markup=False, highlight=False)
