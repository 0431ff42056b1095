"""`igcdesign replace SPEC --hw 56`: every block that can take SPEC's place, fastest and widest first."""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.commands._options import CLOCK_OPTION, JSON_OPTION, MAX_HW, MIN_TIME_OPTION, ROUNDS_OPTION, THREADS_OPTION, int_option

MAX_TOP = 100


def replace(
    spec: str = typer.Argument(..., help="The block to replace, e.g. regular:C=64,k=3 (a ResNet-18 stage conv)."),
    hw: int = int_option(56, "--hw", help="Side of the input map.", high=MAX_HW),
    batch: List[str] = typer.Option(["1"], "--batch", "-b", help="Batch size(s) predicted (and measured), e.g. 1,8; the first ranks [1–65,536, at most 64 sizes]."),
    max_params: str = typer.Option("same", "--max-params", "-p", help="At most this many weights: 'same' (SPEC's own) or a count (20k, 3e4)."),
    top: int = int_option(10, "--top", help="Rows per ranking, and blocks timed with --measure.", high=MAX_TOP),
    family: Optional[List[str]] = typer.Option(None, "--family", "-f", help="Only these families (repeat or comma list; default all that offer drop-ins)."),
    measure: bool = typer.Option(False, "--measure", help="Time the top blocks against SPEC itself in the same run (needs torch)."),
    threads: Optional[int] = THREADS_OPTION,
    min_time: float = MIN_TIME_OPTION,
    rounds: int = ROUNDS_OPTION,
    clock: Optional[str] = CLOCK_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Every check-accepted block with SPEC's input and output widths (and stride) within its
    params, ranked by predicted latency (on this machine's profile) and by width."""
    from igcdesign.families import parse_block
    from igcdesign.replacement import report
    from igcdesign.validate import parse_batches

    block = parse_block(spec)
    batches = parse_batches(batch)
    settings = None
    if measure:
        from igcdesign.probe.measure import settings_from_options

        settings = settings_from_options(hw, batches, threads, min_time, rounds, clock=clock or "wall")
    profile, note = _profile(threads)
    document = report(block, hw=hw, batches=batches, max_params=max_params, top=top, families=family,
                      profile=profile)
    document["profile_note"] = note
    if settings is not None:
        document.update(_measure(document, block.spec, settings, quiet=json_))
    if json_:
        from igcdesign.output import emit_json

        emit_json(document)
        return
    _render(document)


def _profile(threads: int | None):
    """This machine's profile for the threads asked (torch's default otherwise), or None and why."""
    from igcdesign.profile import find_default_profile

    lookup = find_default_profile("cpu", threads)
    return lookup.profile, (None if lookup.profile else f"{lookup.message}: ranked by width only")


def _measure(document: dict, spec: str, settings, quiet: bool) -> dict:
    """Time the first ranking's blocks against SPEC in one run; ratios are to SPEC's own latency."""
    from igcdesign.probe.measure import context, latency_fields, probe
    from igcdesign.progress import Progress

    ranked = document["by_latency"] or document["by_width"]
    specs = [row["spec"] for row in ranked if not row["is_spec"]]
    if not specs:
        specs, baseline = [spec], None
    else:
        baseline = spec
    with Progress("measuring", delay=0, enabled=False if quiet else None) as progress:
        measured = probe(specs, settings, baseline=baseline, progress=progress)
    results = measured["results"]
    for rows in (document["by_latency"] or [], document["by_width"]):
        for row in rows:
            found = [latency_fields(r) for r in results if r["spec"] == row["spec"] and (row["is_spec"] or not r["is_baseline"])]
            if found:
                row["measured"] = found
    return {"measurement": context(measured), "measured_ranking": "by_latency" if document["by_latency"] else "by_width"}


def _render(document: dict) -> None:
    from rich.table import Table

    from igcdesign.output import console, print_table

    out = console()
    stride = f", stride {document['stride']}" if document["stride"] != 1 else ""
    budget = "the spec's own" if document["max_params_from"] == "same" else "given"
    out.print(f"Drop-ins for {document['spec']} ({document['cin']:,} → {document['cout']:,} channels, "
              f"{document['kernel']}×{document['kernel']}{stride}, {document['hw']}×{document['hw']} map): "
              f"{document['count']:,} check-accepted blocks within {document['max_params']:,} params ({budget})",
              markup=False, soft_wrap=True)
    batches = document["batches"]
    for key, title in (("by_latency", f"fastest by predicted latency (batch {batches[0]})"),
                       ("by_width", "widest (the widest map inside the block)")):
        rows = document[key]
        if not rows:
            continue
        table = Table(title=title)
        columns = ["spec", "width", "params"]
        if document["profile"]:
            columns.append("predicted ms, × spec")
        if any("measured" in row for row in rows):
            columns.append("measured ms (IQR), × spec")
        for column in columns:
            table.add_column(column, justify="left" if column == "spec" else "right", overflow="fold")
        for row in rows:
            name = row["spec"] + (" (the spec)" if row["is_spec"] else "")
            cells = [name, f"{row['width']:,}", f"{row['params']:,}"]
            if document["profile"]:
                cells.append("\n".join(f"b{p['batch']}: {p['predicted_ms']:.3f} ×{p['ratio_to_spec']:.2f}"
                                       for p in row["predicted"]))
            if "measured ms (IQR), × spec" in columns:
                from igcdesign.render import _latency_text

                cells.append(_latency_text(row.get("measured", [])))
            table.add_row(*cells)
        print_table(table, wrap=("spec",), drop=("params", "width"))
    if document["profile"]:
        own = ", ".join(f"b{p['batch']} {p['predicted_ms']:.3f} ms" for p in document["spec_predicted"])
        out.print(f"predicted on {document['profile']} (the spec: {own}); model error: {document['accuracy']}",
                  markup=False, soft_wrap=True)
    if document.get("profile_note"):
        out.print("no machine profile for these threads: ranked by width only (`igcdesign calibrate` "
                  "measures this machine; --json says which profiles exist)", markup=False, soft_wrap=True)
    if "measurement" in document:
        from igcdesign.probe.render import print_measurement

        print_measurement(document["measurement"])


def register(app: typer.Typer) -> None:
    app.command("replace")(replace)
