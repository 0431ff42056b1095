"""`igcdesign table --params T`: how wide each IGC family gets at one budget, row by row."""

from __future__ import annotations

import typer

from igcdesign.errors import IGCError
from igcdesign.commands._options import (
    EXPANSION_OPTION,
    JSON_OPTION,
    KERNEL_OPTION,
    MAX_GROUPS,
    MAX_HW,
    check_kernel,
    int_option,
)

MAX_GROUP_VALUES = 32  # G1 × G2 pairs: at most 32² = 1,024 IGCV3 rows


def table(
    params: str = typer.Option(..., "--params", "-p", help="Parameter budget T per block (4672, 1e6, 2.5M)."),
    kernel: int = KERNEL_OPTION,
    family: str = typer.Option("igcv1", "--family", "-f", help="igcv1, igcv2, igcv3, shufflenetv1 or all."),
    tolerance: float = typer.Option(5.0, "--tolerance", help="Keep (IGCV1) or flag (IGCV2/3) rows within ± this % of T."),
    expansion: int = EXPANSION_OPTION,
    groups: str = typer.Option("1,2,4,8", "--groups", help="IGCV3 values of G1 and G2 (ShuffleNet V1: of g), comma-separated [1–1,048,576, at most 32 values]."),
    hw: int = int_option(32, "--hw", help="Side of the map the predicted_ms column (on this machine's profile, when there is one) is for.", high=MAX_HW),
    rule: str = typer.Option("checked", "--rule", help="Which blocks are rows: 'checked' (default), those `check` calls strict or relaxed; 'paper', each paper's own rule where it has one (IGCV3: C a multiple of G1·G2)."),
    csv: bool = typer.Option(False, "--csv", help="Print CSV."),
    markdown: bool = typer.Option(False, "--markdown", help="Print a markdown table."),
    latex: bool = typer.Option(False, "--latex", help="Print a LaTeX tabular."),
    json_: bool = JSON_OPTION,
) -> None:
    """Width tables: IGCV1 (L, M) rows per M nearest the budget, IGCV2 depths, IGCV3 (G1, G2)."""
    from igcdesign.numbers import parse_count, parse_whole_list
    from igcdesign.tables import table_families, width_tables

    budget = parse_count(params, "--params")
    check_kernel(kernel)
    if sum((csv, markdown, latex, json_)) > 1:
        raise IGCError("choose one of --json, --csv, --markdown, --latex")
    names = table_families() if family == "all" else [family]
    group_values = sorted(set(parse_whole_list(groups, "--groups", MAX_GROUP_VALUES, high=MAX_GROUPS)))
    tables = width_tables(budget, kernel, names, tolerance, expansion, group_values, rule)
    from igcdesign.profile import find_default_profile

    profile = find_default_profile("cpu").profile
    if profile is not None:  # a predicted-latency column whenever this machine has a profile
        from igcdesign.tables import add_predicted

        add_predicted(tables, profile, hw)
    from igcdesign.report import tables_render as render

    if json_:
        from igcdesign.output import emit_json

        emit_json(render.tables_json(tables, family))
    elif csv:
        render.print_text(render.tables_csv(tables))
    elif markdown:
        render.print_text(render.tables_markdown(tables))
    elif latex:
        render.print_text(render.tables_latex(tables))
    else:
        render.tables_rich(tables)


def register(app: typer.Typer) -> None:
    app.command("table")(table)
