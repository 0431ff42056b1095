"""`igcdesign space --family F --max-params T`: every configuration within a budget, counted."""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.errors import IGCError

MAX_STDOUT_ROWS = 10_000  # rows to stdout (table or --json); --out FILE has no such bound
from igcdesign.commands._options import (
    BATCH_OPTION,
    EXPANSION_OPTION,
    HW_OPTION,
    JSON_OPTION,
    KERNEL_OPTION,
    MIN_TIME_OPTION,
    ROUNDS_OPTION,
    THREADS_OPTION,
    check_hw,
    check_kernel,
    int_option,
)


def space(
    family: str = typer.Option(..., "--family", "-f", help="igcv1, igcv2, igcv3 or shufflenetv1."),
    max_params: str = typer.Option(..., "--max-params", "-p", help="Parameter budget per block (1e6, 2.5M)."),
    kernel: int = KERNEL_OPTION,
    hw: int = HW_OPTION,
    expansion: int = EXPANSION_OPTION,
    min_width: Optional[int] = int_option(None, "--min-width", help="Keep width ≥ this."),
    min_M: Optional[int] = int_option(None, "--min-M", help="IGCV1: keep M ≥ this."),
    min_L: Optional[int] = int_option(None, "--min-L", help="IGCV1: keep L ≥ this."),
    minimum: Optional[List[str]] = typer.Option(None, "--min", help="COLUMN=VALUE: keep column ≥ value (repeatable)."),
    maximum: Optional[List[str]] = typer.Option(None, "--max", help="COLUMN=VALUE: keep column ≤ value (repeatable)."),
    multiple_of: Optional[int] = int_option(None, "--multiple-of", help="Width and every conv's channels per group a multiple of m (channel-wise convs exempt)."),
    channelwise: bool = typer.Option(False, "--channelwise", help="IGCV2: only chains whose k×k conv is channel-wise (K₁ = 1)."),
    pareto: bool = typer.Option(False, "--pareto", help="Keep only the Pareto front of --objectives."),
    objectives: Optional[str] = typer.Option(None, "--objectives", help="Two of width, params, mult_adds, mem_access, C_int, latency (predicted on this machine's profile; default width,params); implies --pareto."),
    max_latency: Optional[str] = typer.Option(None, "--max-latency", help="Keep rows whose predicted latency (this machine's profile, --hw, the first --batch) is at most this time: 0.5ms, 500us."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Write all rows to FILE.csv or FILE.json (atomically)."),
    top: int = int_option(20, "--top", help=f"Rows printed, in the table or --json (and timed with --measure); at most {MAX_STDOUT_ROWS:,}: --out takes every row.", show_range=False),
    measure: bool = typer.Option(False, "--measure", help="Time the --top rows in PyTorch against the regular conv of the same budget (needs torch)."),
    batch: List[str] = BATCH_OPTION,
    threads: Optional[int] = THREADS_OPTION,
    min_time: float = MIN_TIME_OPTION,
    rounds: int = ROUNDS_OPTION,
    rule: str = typer.Option("checked", "--rule", help="Which blocks are rows: 'checked' (default), those `check` calls strict or relaxed; 'paper', each paper's own rule where it has one (IGCV3: C a multiple of G1·G2)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Enumerate a family's design space with params, mult_adds, mem_access and verdict per row."""
    from igcdesign.numbers import parse_count
    from igcdesign.designspace import OUT_SUFFIXES, Filters, check_objectives, enumerate_space

    budget = parse_count(max_params, "--max-params")
    check_kernel(kernel)
    check_hw(hw)
    check_top(top)
    target = None
    if out is not None:
        from igcdesign.files import check_out

        target = check_out(out, OUT_SUFFIXES)
    filters = Filters(minimum=_pairs(minimum, "--min"), maximum=_pairs(maximum, "--max"), channelwise=channelwise)
    for column, value, flag in (("width", min_width, "--min-width"), ("M", min_M, "--min-M"), ("L", min_L, "--min-L")):
        if value is not None:
            filters.minimum[column] = _positive(value, flag)
    if multiple_of is not None:
        filters.multiple_of = _positive(multiple_of, "--multiple-of")
    chosen = None
    if pareto or objectives:
        chosen = check_objectives((objectives or "width,params").split(","))
    settings = None
    if measure:
        from igcdesign.probe.measure import settings_from_options

        settings = settings_from_options(hw, batch, threads, min_time, rounds)
    max_latency_ms = None
    if max_latency is not None:
        from igcdesign.numbers import parse_duration

        max_latency_ms = parse_duration(max_latency, "--max-latency") * 1e3
    from igcdesign.validate import parse_batches

    first_batch = parse_batches(batch)[0]
    needs_latency = max_latency_ms is not None or (chosen is not None and "latency" in chosen)
    from igcdesign.profile import find_default_profile

    lookup = find_default_profile("cpu", threads)
    if needs_latency and lookup.profile is None:
        raise IGCError(f"{'--max-latency' if max_latency_ms is not None else '--objectives latency'} needs this machine's profile: {lookup.message}")
    result = enumerate_space(family, budget, kernel, hw, expansion, filters, None if needs_latency else chosen, rule=rule)
    if needs_latency:
        from igcdesign.designspace import with_latency

        result = with_latency(result, lookup.profile, max_latency_ms, chosen, first_batch)
    if target is not None:
        from igcdesign.designspace import write_space

        write_space(result, target)
    shown = _top(result, top)
    from igcdesign.designspace import LATENCY_COLUMN, add_predicted

    if lookup.profile is not None and LATENCY_COLUMN not in shown.columns:
        shown = add_predicted(result, lookup.profile, first_batch, rows=shown)
    measured, measurement = _measure(shown, budget, kernel, settings, quiet=json_) if measure else (None, None)
    if json_:
        from igcdesign.output import emit_json
        from igcdesign.designspace import records

        doc = result.meta()
        doc["top"] = top
        doc["max_latency_ms"] = max_latency_ms
        doc["profile"] = lookup.profile.fingerprint.describe() if lookup.profile else None
        doc["latency_batch"] = first_batch if lookup.profile else None
        if target is not None:
            doc["out"] = str(target)
        doc["rows"] = records(shown)
        if measured is not None:
            doc["measured"], doc["measurement"] = measured, measurement
        emit_json(doc)
        return
    _render(result, shown, target, measured)
    if measurement is not None:
        from igcdesign.probe.render import print_measurement

        print_measurement(measurement)


def _measure(shown, budget: int, kernel: int, settings, quiet: bool) -> tuple[list[dict], dict | None]:
    """Latency of the shown rows against the widest regular conv within the same budget, and how
    it was measured."""
    from igcdesign.probe.measure import measure_rows
    from igcdesign.progress import Progress

    with Progress("measuring", delay=0, enabled=False if quiet else None) as progress:
        return measure_rows(list(shown["config"]), budget, kernel, settings, progress)


def check_top(top: int) -> None:
    """--top bounds what goes to stdout before any work: at most MAX_STDOUT_ROWS rows."""
    if top < 1:
        raise IGCError(f"--top must be positive, got {top}")
    if top > MAX_STDOUT_ROWS:
        raise IGCError(f"--top {top:,}: at most {MAX_STDOUT_ROWS:,} rows go to stdout; "
                       "write every row with --out FILE.csv or FILE.json")


def _positive(value: int, flag: str) -> int:
    if value < 1:
        raise IGCError(f"{flag} must be positive, got {value}")
    return value


MAX_FILTERS = 64


def _pairs(items: Optional[List[str]], flag: str) -> dict[str, int]:
    """COLUMN=VALUE items into a dict; values are non-negative whole numbers (ASCII digits)."""
    from igcdesign.errors import shown
    from igcdesign.numbers import MAX_WHOLE, parse_whole

    if len(items or []) > MAX_FILTERS:
        raise IGCError(f"{flag}: {len(items)} filters, at most {MAX_FILTERS}")
    out: dict[str, int] = {}
    for item in items or []:
        column, eq, value = item.partition("=")
        if not eq or not column.strip() or not value.strip():
            raise IGCError(f"{flag} '{shown(item)}': expected COLUMN=INTEGER, e.g. {flag} M=4")
        out[column.strip()] = parse_whole(value, f"{flag} {shown(column.strip())}", low=0, high=MAX_WHOLE)
    return out


def _top(result, n: int):
    """The rows to show: widest first (ties: fewer params), or along the Pareto front."""
    frame = result.frame
    if result.pareto:
        from igcdesign.designspace import OBJECTIVES

        from igcdesign.designspace import objective_column

        first, second = result.pareto
        return frame.sort_values([objective_column(first), objective_column(second)],
                                 ascending=[OBJECTIVES[first] == "min", OBJECTIVES[second] == "min"], kind="stable").head(n)
    return frame.sort_values(["width", "params"], ascending=[False, True], kind="stable").head(n)


def _render(result, shown, target, measured=None) -> None:
    from rich.table import Table

    from igcdesign.output import print_table

    from igcdesign.output import console

    what = f"Pareto front ({', '.join(result.pareto)})" if result.pareto else "configurations"
    title = (f"{result.family}: {len(result.frame):,} {what} within {result.budget:,} params "
             f"(of {result.total:,}), k = {result.kernel}, {result.hw}×{result.hw} map")
    from rich import box

    from igcdesign.designspace import BASE_COLUMNS

    table = Table(title=title, box=box.SIMPLE_HEAD,
                  caption=f"top {len(shown)} rows" + (f"; all rows in {target}" if target else "")
                  + f"; rule: {result.rule}")
    for c in BASE_COLUMNS:
        table.add_column(c.replace("_", " "), justify="left" if c in ("config", "verdict") else "right", overflow="fold")
    from igcdesign.designspace import LATENCY_COLUMN

    predicted = LATENCY_COLUMN in shown.columns
    if predicted:
        table.add_column("predicted ms", justify="right", overflow="fold")
    latency = {}
    if measured is not None:
        from igcdesign.render import _latency_text

        table.add_column("latency ms (IQR), × regular", justify="right", overflow="fold")
        latency = {m["config"]: _latency_text(m["latency"]) for m in measured}
    for row, ms in zip(shown[BASE_COLUMNS].itertuples(index=False),
                       shown[LATENCY_COLUMN] if predicted else [None] * len(shown)):
        cells = [v if isinstance(v, str) else f"{int(v):,}" for v in row]
        if predicted:
            cells.append(f"{ms:.3f}")
        if measured is not None:
            cells.append(latency.get(row[0], "–"))
        table.add_row(*cells)
    print_table(table, drop=("mem access", "mult adds", "verdict"), alternative="--json or --out FILE.csv")


def register(app: typer.Typer) -> None:
    app.command("space")(space)
