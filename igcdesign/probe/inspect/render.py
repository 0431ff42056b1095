"""The `inspect` report as text (no torch): one row per block, lone permutation, FC layer or
conv outside the grammar, then the totals and everything that was not followed."""

from __future__ import annotations

from typing import Any

from igcdesign.output import console, print_table


def _map(row: dict[str, Any]) -> str:
    a, b = row.get("map_in") or [], row.get("map_out") or []
    text_a = "×".join(map(str, a)) if len(set(a)) > 1 else (str(a[0]) if a else "")
    text_b = "×".join(map(str, b)) if len(set(b)) > 1 else (str(b[0]) if b else "")
    return text_a if text_a == text_b else f"{text_a}→{text_b}"


def _what(row: dict[str, Any]) -> str:
    kind = row["kind"]
    if kind == "block":
        return row["spec"]
    if kind == "permutation":
        how = f"shuffle, {row['groups']} groups" if row["groups"] else "permutation"
        return f"({how}, {row['width']} channels)"
    if kind == "fc":
        return f"(fc {row['cin']}→{row['cout']})"
    return f"(conv {row['name']}: {row['reason']}; not in the grammar)"


def render_inspect(doc: dict[str, Any]) -> None:
    """The report of :func:`igcdesign.probe.inspect.report.build_report`, for people."""
    from rich.table import Table

    out = console()
    shape = "x".join(map(str, doc["input"]))
    title = f"{doc['model']}  ({shape} input, traced by {doc['tracer']})"
    table = Table(title=title)
    for col in ("#", "block spec", "map", "params", "mult_adds", "mem_access", "verdict"):
        table.add_column(col, justify="left" if col in ("block spec", "verdict", "map") else "right")
    index = 0
    for row in doc["items"]:
        number = ""
        if row["kind"] == "block":
            index += 1
            number = str(index)
        params = row["params"] + row.get("bias_params", 0) + row.get("bn_params", 0)
        mark = "" if row.get("maps_as_grammar", True) else " *"
        table.add_row(number, _what(row), _map(row) + mark, f"{params:,}", f"{row['mult_adds']:,}",
                      f"{row['mem_access']:,}", row.get("verdict") or "")
    totals = doc["totals"]
    table.add_section()
    table.add_row("", f"total ({totals['blocks']} blocks)", "", f"{totals['params']:,}", f"{totals['mult_adds']:,}",
                  f"{totals['mem_access']:,}", "", style="bold")
    print_table(table, wrap=("block spec",), drop=("map", "mem_access", "verdict"))
    lines = []
    convention = "BN γ, β included (--bn)" if doc["bn"] else "BN not counted (--bn counts it)"
    lines.append(f"params: {totals['params']:,} = the model's {totals['model_params']:,} parameters"
                 + ("" if doc["bn"] else f" less {totals['bn_params']:,} of BN") + f"; {convention}; "
                 "block params are the spec's conv weights, biases and BN are added beside them")
    if any(not row.get("maps_as_grammar", True) for row in doc["items"]):
        lines.append("* counted at the traced maps: `count SPEC --hw` costs this block at other maps "
                     "(padding other than the grammar's, or a map that is not square)")
    if doc.get("tracer_note"):
        lines.append(f"torch.fx could not trace it ({doc['tracer_note']}); torch.export did")
    for entry in doc["not_followed"]:
        lines.append(f"not followed: {entry['what']} ({entry['params']:,} params, counted in the total)")
    for problem in doc.get("problems", []):
        lines.append(f"not followed: {problem}")
    if doc["not_costed"]:
        ops = ", ".join(f"{name} ×{n}" for name, n in doc["not_costed"].items())
        lines.append(f"not costed (no weights; outside every block): {ops}")
    for line in lines:
        out.print(line, soft_wrap=False)
