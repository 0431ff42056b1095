"""`igcdesign plot KIND --out FILE`: figures of the design space (.png, .svg or .pdf)."""

from __future__ import annotations

from typing import Optional

import typer

from igcdesign.errors import IGCError, shown
from igcdesign.commands._options import EXPANSION_OPTION, HW_OPTION, JSON_OPTION, KERNEL_OPTION, check_hw, check_kernel

KINDS = ("width-vs-params", "igcv1-table", "igcv2-depth", "pareto")


def plot(
    kind: str = typer.Argument(..., help="width-vs-params, igcv1-table, igcv2-depth or pareto."),
    out: str = typer.Option(..., "--out", "-o", help="Figure file: .png, .svg or .pdf."),
    params: Optional[str] = typer.Option(None, "--params", "-p", help="Budget for igcv1-table (default 4672) and igcv2-depth (default 4700, at most 1e12)."),
    min_params: str = typer.Option("1e3", "--min-params", help="width-vs-params: smallest budget."),
    max_params: Optional[str] = typer.Option(None, "--max-params", help="width-vs-params: largest budget (default 1e8); pareto: the space's budget (default 1e6)."),
    kernel: int = KERNEL_OPTION,
    family: str = typer.Option("igcv1", "--family", "-f", help="pareto: igcv1, igcv2 or igcv3."),
    objectives: str = typer.Option("width,params", "--objectives", help="pareto: two of width, params, mult_adds, mem_access, C_int, latency (predicted on this machine's profile: width,latency draws width against time)."),
    expansion: int = EXPANSION_OPTION,
    tolerance: float = typer.Option(5.0, "--tolerance", help="igcv1-table: tolerance in % of the budget."),
    hw: int = HW_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Draw one figure: widths against budget, the IGCV1 table, IGCV2 depth, or a Pareto front."""
    from igcdesign.numbers import parse_count
    from igcdesign.files import FIGURE_SUFFIXES, check_out

    if kind not in KINDS:
        raise IGCError(f"unknown plot '{shown(kind)}' (known: {', '.join(KINDS)})")
    target = check_out(out, FIGURE_SUFFIXES)
    check_kernel(kernel)
    check_hw(hw)
    if expansion < 1:
        raise IGCError(f"--expansion must be positive, got {expansion}")
    from igcdesign import plots

    if kind == "width-vs-params":
        low = parse_count(min_params, "--min-params")
        high = parse_count(max_params or "1e8", "--max-params", maximum=10**12)
        if high <= low:
            raise IGCError(f"--max-params ({high:,}) must be larger than --min-params ({low:,})")
        zoom = (max(low, 4000), min(high, 20000)) if min(high, 20000) > max(low, 4000) else (low, high)
        data = plots.width_vs_params(target, kernel, low, high, expansion, zoom_range=zoom)
    elif kind == "igcv1-table":
        from igcdesign.tables import check_tolerance, igcv1_table

        check_tolerance(tolerance)
        budget = parse_count(params or "4672", "--params")
        igcv1_table(budget, kernel, tolerance)  # validates the budget before a figure is started
        data = plots.igcv1_table_plot(target, budget, kernel, tolerance)
    elif kind == "igcv2-depth":
        from igcdesign.igcv2_depth import MAX_BUDGET

        data = plots.igcv2_depth_plot(target, parse_count(params or "4700", "--params", maximum=MAX_BUDGET), kernel)
    else:
        from igcdesign.designspace import check_objectives, enumerate_space

        chosen = check_objectives(objectives.split(","))
        space = enumerate_space(family, parse_count(max_params or "1e6", "--max-params"), kernel, hw, expansion)
        if "latency" in chosen:  # width vs predicted latency: needs this machine's profile
            from igcdesign.designspace import with_latency
            from igcdesign.profile import find_default_profile

            lookup = find_default_profile("cpu")
            if lookup.profile is None:
                raise IGCError(f"--objectives latency needs this machine's profile: {lookup.message}")
            space = with_latency(space, lookup.profile)
        space.pareto = chosen
        data = plots.pareto_plot(target, space)
    data["out"] = str(target)
    if json_:
        from igcdesign.output import emit_json

        emit_json(data)
        return
    from igcdesign.output import console

    console().print(f"wrote {target}")


def register(app: typer.Typer) -> None:
    app.command("plot")(plot)
