"""Rich output of `igcdesign probe`: a progress bar on stderr and the results table."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from igcdesign.probe.measure import Progress


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A transient rich progress bar on stderr; yields the callback that `probe` calls."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

    bar = RichProgress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )
    task = None

    def update(done: int, total: int, label: str) -> None:
        nonlocal task
        if task is None:  # started on the first step, so a run refused up front prints nothing
            bar.start()
            task = bar.add_task(label, total=total)
        bar.update(task, completed=done, description=label)

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def _spread(row: dict[str, Any]) -> str:
    """The IQR, or '?' where one timed block gave no spread to measure."""
    from igcdesign.output import fmt_float

    return "?" if row.get("blocks", 2) < 2 else fmt_float(row["iqr_ms"], 3)


def render_probe(document: dict[str, Any]) -> None:
    """The measurements as a table, with device, torch, threads and dtype above it."""
    from rich.table import Table

    from igcdesign.output import print_table, console, fmt_float, group_digits

    out = console()
    out.print(
        f"[bold]{document['device']}[/bold] · torch {document['torch']} · {document['threads']} "
        f"thread{'s' if document['threads'] != 1 else ''} · "
        f"{document['dtype']}{' · channels-last' if document['channels_last'] else ''} · output map "
        f"{document['hw']}×{document['hw']}"
    )
    table = Table(show_header=True, header_style="bold")
    table.add_column("spec", overflow="fold", min_width=12)
    for name in ("batch", "params", "mult_adds", "ms ± IQR", "GMAC/s", "× base"):
        table.add_column(name, justify="right", overflow="fold")
    for row in document["results"]:
        params = group_digits(row["params_symbolic"])
        if row["params_torch"] != row["params_symbolic"]:
            params += f" (torch {group_digits(row['params_torch'])})"
        ratio = row["ratio_to_baseline"]
        table.add_row(
            row["spec"] + (" [dim](baseline)[/dim]" if row["is_baseline"] else ""),
            str(row["batch"]), params, group_digits(row["mult_adds"]),
            f"{fmt_float(row['latency_ms'], 3)} ± {_spread(row)}", fmt_float(row["gmacs"], 1),
            fmt_float(ratio, 2) if ratio is not None else "–",
        )
    print_table(table, out)
    load, cpus = max((x for x in document["load_average"] if x is not None), default=None), document["cpu_count"]
    if load is not None and cpus and load > cpus + 0.5:  # the load average counts the probe's own threads
        out.print(f"[yellow]the machine was busy (load average {load:.1f} on {cpus} CPUs): timings are "
                  "noisy, see IQR; --rounds N keeps each row's least disturbed round, fewer --threads suffer less[/yellow]")
    out.print("[dim]ms ± IQR: median latency per call and its interquartile range over blocked_autorange blocks; mult_adds per sample; "
              "GMAC/s = batch × mult_adds / latency; × base = latency / the baseline's at that batch; ± ? where a single block was timed (no spread)[/dim]")
