"""What people read of a measurement: `igcdesign probe`'s table, and the lines that `widest`,
`space` and `net` print under theirs with --measure (device, rounds, the baseline's own latency,
the busy-machine warning). The progress bar is :class:`igcdesign.progress.Progress`.
"""

from __future__ import annotations

from typing import Any


def _spread(row: dict[str, Any]) -> str:
    """The IQR, or '?' where one timed block gave no spread to measure."""
    from igcdesign.output import fmt_float

    return "?" if row.get("blocks", 2) < 2 else fmt_float(row["iqr_ms"], 3)


def render_probe(document: dict[str, Any]) -> None:
    """The measurements as a table, with device, torch, threads and dtype above it."""
    from rich.table import Table

    from igcdesign.output import print_table, console, fmt_float, group_digits

    out = console()
    from rich.text import Text

    out.print(
        Text(str(document["device"]), style="bold"),
        f"· torch {document['torch']} · {document['threads']} "
        f"thread{'s' if document['threads'] != 1 else ''} · "
        f"{document['dtype']}{' · channels-last' if document['channels_last'] else ''} · input map "
        f"{document['hw']}×{document['hw']}"
        + (" · CPU-time clock" if document.get("clock") == "cpu" else "")
    )
    table = Table(show_header=True, header_style="bold")
    table.add_column("spec", overflow="fold", min_width=12)
    floors = any(row.get("floor_ms") for row in document["results"])
    columns = ("impl", "batch", "params", "mult_adds", "ms ± IQR", "GMAC/s", "× base") + (("floor ms", "× floor") if floors else ())
    for name in columns:
        table.add_column(name, justify="left" if name == "impl" else "right", overflow="fold")
    for row in document["results"]:
        params = group_digits(row["params"])
        if row["params_torch"] != row["params"]:
            params += f" (torch {group_digits(row['params_torch'])})"
        ratio = row["ratio_to_baseline"]
        impl = row.get("impl", "plain") + (f" ({'/'.join(row['plans'])})" if row.get("plans") else "")
        cells = [
            Text.assemble(row["spec"], (" (baseline)", "dim") if row["is_baseline"] else ""), impl,
            str(row["batch"]), params, group_digits(row["mult_adds"]),
            f"{fmt_float(row['latency_ms'], 3)} ± {_spread(row)}", fmt_float(row["gmacs"], 1),
            fmt_float(ratio, 2) if ratio is not None else "–",
        ]
        if floors:
            floor = row.get("floor_ms")
            cells += [fmt_float(floor, 3) if floor else "–", fmt_float(row["ratio_to_floor"], 2) if floor else "–"]
        table.add_row(*cells)
    # impl tells the rows of one spec apart when several implementations were timed: never dropped then
    several_impls = len({row.get("impl", "plain") for row in document["results"]}) > 1
    drop = ("GMAC/s", "mult_adds", "floor ms", "batch") + (() if several_impls else ("impl",))
    print_table(table, out, drop=drop)
    if document.get("busy"):
        out.print(document["busy"], style="yellow", markup=False)
    out.print("ms ± IQR: median latency per call and its interquartile range over blocked_autorange blocks; mult_adds per sample; "
              "GMAC/s = batch × mult_adds / latency; × base = latency / the baseline's at that batch; ± ? where a single block was timed (no spread); "
              "impl: plain (nn.Conv2d per conv) or fast (its plan: cl = grouped k×k channels-last, mm = 1×1 as matrix products, sv = one product per group on strided views, sp = grouped k×k as one product per tap on shifted views; conv = the plain kernels)", style="dim")
    if floors:
        out.print(f"floor: per layer max(mult_adds / peak, mem_access × bytes / bandwidth) + call cost on {document['profile']}; "
                  "× floor = latency / floor", markup=False, style="dim")
    elif document.get("floor_note"):
        out.print(f"no floor: {document['floor_note']}", markup=False, style="dim")


def measurement_lines(measured: dict[str, Any]) -> list[str]:
    """Plain lines for a :func:`igcdesign.probe.measure.context`: where and how it was measured,
    the baseline's own latency per batch, and the busy-machine warning when there is one."""
    threads = measured["threads"]
    rounds = measured["rounds"]
    lines = [f"measured on {measured['device']} · torch {measured['torch']} · {threads} thread{'s' if threads != 1 else ''}"
             f" · {measured['dtype']} · " + (f"best of {rounds} rounds" if rounds > 1 else "1 round")
             + (" · CPU-time clock (each call's time with a core to itself)" if measured.get("clock") == "cpu" else "")]
    base = measured.get("baseline")
    if base:
        times = ", ".join(f"b{row['batch']}: {row['latency_ms']:.3f} ms (IQR {_spread(row)})" for row in base["latency"])
        lines.append(f"baseline {base['spec']}: {times}; × regular = latency / the baseline's at that batch")
    if measured.get("busy"):
        lines.append(measured["busy"])
    return lines


def print_measurement(measured: dict[str, Any] | None) -> None:
    """Print :func:`measurement_lines` on stdout, verbatim (no markup)."""
    import sys

    if measured:
        sys.stdout.write("".join(line + "\n" for line in measurement_lines(measured)))
