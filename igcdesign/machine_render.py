"""Rich output for machine profiles and floors (the --json paths never import this)."""

from __future__ import annotations

from typing import Any

from igcdesign.output import console, print_table


def render_profile(document: dict[str, Any]) -> None:
    """The calibrated figures with their spread and core share, the load seen, and where the
    profile went."""
    from rich.table import Table

    from igcdesign.profile import BUSY_SHARE, DISTURBED_SHARE

    fp = document["fingerprint"]
    out = console()
    out.print(f"[bold]{fp['device']}[/bold] · torch {fp['torch']} · {fp['threads']} thread"
              f"{'s' if fp['threads'] != 1 else ''} · {fp['dtype']}", markup=True)
    table = Table(show_header=True, header_style="bold")
    for name in ("figure", "value", "spread", "core share"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    spread, shares = document.get("spread", {}), document.get("core_share", {})
    rows = (
        ("copy bandwidth", f"{document['copy_bytes_per_s'] / 1e9:.2f} GB/s", "copy_bytes_per_s"),
        ("triad bandwidth", f"{document['triad_bytes_per_s'] / 1e9:.2f} GB/s", "triad_bytes_per_s"),
        ("matmul throughput", f"{document['matmul_macs_per_s'] / 1e9:.1f} GMAC/s", "matmul_macs_per_s"),
        ("dense conv throughput", f"{document['conv_macs_per_s'] / 1e9:.1f} GMAC/s", "conv_macs_per_s"),
        ("call cost", f"{document['call_s'] * 1e6:.1f} µs", "call_s"),
    )
    for label, value, key in rows:
        share = shares.get(key) if key != "call_s" else None  # one call is one thread: no share to have
        table.add_row(label, value, f"{100 * spread.get(key, 0):.1f} %", "–" if share is None else f"{100 * share:.0f} %")
    print_table(table, out)
    loads = [x for x in document.get("load_average", []) if x is not None]
    load = f"load average {' → '.join(f'{x:.2f}' for x in loads)} on {document.get('cpu_count')} CPUs; " if loads else ""
    sizes = document["sizes"]
    rounds = sizes.get("rounds", sizes.get("repeats"))
    out.print(f"{load}each figure the 90th percentile of {rounds} interleaved samples (of the rates; of the call time "
              "from the least); spread = interquartile range / median", markup=False)
    if document.get("clock") == "cpu":
        out.print("timed by the process's CPU time (one thread: each call's time with a core to itself, as the "
                  "layer table is timed)", markup=False)
    left_out = sum(document.get("disturbed_repeats", {}).values())
    if left_out:
        out.print(f"{left_out} disturbed samples (core share under {100 * DISTURBED_SHARE:.0f} % of the best) were "
                  "left out", markup=False)
    low = {k: v for k, v in shares.items() if k != "call_s" and v < BUSY_SHARE}
    if low:
        out.print(f"the threads never had their cores (core share {100 * min(low.values()):.0f} % at best for "
                  f"{', '.join(sorted(low))}): other work held them, so these figures are this machine's under "
                  "load; calibrate again when it is quiet", markup=False)
    cpus = document.get("cpu_count")
    if loads and cpus and max(loads) > cpus + 0.5:
        out.print(f"the machine was busy (load average {max(loads):.1f} on {cpus} CPUs): other work held the cores, so "
                  "these figures are below this machine's and will not repeat (floors come out too high); "
                  "calibrate again when it is quiet", markup=False)
    out.print(f"profile written to {home_relative(document['path'])}", markup=False, soft_wrap=True)


def home_relative(path: str) -> str:
    """The path with the user's home directory written as ~ (as a shell would show it)."""
    import os

    home = os.path.expanduser("~")
    if home and home != "~" and (path == home or path.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + path[len(home.rstrip(os.sep)):]
    return path


def floor_note(message: str) -> None:
    """A dim line on stderr: why there is no floor, and how to get one."""
    import sys

    sys.stderr.write(f"{message}\n")
