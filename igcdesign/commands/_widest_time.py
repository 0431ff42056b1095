"""`widest --latency-budget TIME`: per family the widest block predicted within the time, then the
best few measured in the same run; the measurement decides (igcdesign.timed_search)."""

from __future__ import annotations

from typing import Any


def widest_time(latency_budget: str, params: int | None, kernel: int, families, options, rule: str, verify: int,
                hw: int, batch, threads, min_time: float, rounds: int, json_: bool) -> None:
    """Run the time search and (verify > 0) its measurement; print the document or the table."""
    from igcdesign.errors import IGCError
    from igcdesign.families import widest_families
    from igcdesign.numbers import parse_duration
    from igcdesign.profile import find_default_profile
    from igcdesign.rules import RULES
    from igcdesign.search import search_document
    from igcdesign.timed_search import widest_within_time
    from igcdesign.validate import check_hw, parse_batches

    seconds = parse_duration(latency_budget, "--latency-budget")
    check_hw(hw)
    batches = parse_batches(batch)
    settings = None
    if verify:
        from igcdesign.probe.measure import settings_from_options

        settings = settings_from_options(hw, batches[:1], threads, min_time, rounds)
    lookup = find_default_profile("cpu", threads)
    if lookup.profile is None:
        raise IGCError(f"--latency-budget needs this machine's profile: {lookup.message}")
    wanted = families or widest_families(default=True)
    results = widest_within_time(seconds, hw=hw, batch=batches[0], profile=lookup.profile, k=kernel,
                                 families=wanted, params=params, options=options, rule=rule, verify=max(verify, 1))
    document: dict[str, Any] = {
        "latency_budget_ms": seconds * 1e3, "budget": params, "kernel": kernel, "hw": hw, "batch": batches[0],
        "rule": rule, "rule_meaning": RULES[rule], **search_document(options, wanted),
        "profile": lookup.profile.fingerprint.describe(), "verified": bool(verify),
    }
    rows = [r.as_dict() for r in results]
    if verify:
        document["measurement"] = decide(rows, settings, verify, seconds * 1e3, quiet=json_)
    document["results"] = rows
    if json_:
        from igcdesign.output import emit_json

        emit_json(document)
        return
    render(document)


def decide(rows: list[dict], settings, verify: int, budget_ms: float, quiet: bool) -> dict | None:
    """Measure each family's `verify` best candidates in one run; each family's answer becomes the
    widest candidate whose measured latency fits (None, with a note, when none does)."""
    from igcdesign.probe.measure import context, probe
    from igcdesign.progress import Progress

    specs = list(dict.fromkeys(c["spec"] for row in rows for c in row["candidates"][:verify]))
    if not specs:
        return None
    with Progress("measuring", delay=0, enabled=False if quiet else None) as progress:
        document = probe(specs, settings, baseline=None, progress=progress)
    measured = {r["spec"]: r for r in document["results"]}
    for row in rows:
        row["candidates"] = row["candidates"][:verify]
        for candidate in row["candidates"]:
            candidate["measured_ms"] = measured[candidate["spec"]]["latency_ms"]
            candidate["iqr_ms"] = measured[candidate["spec"]]["iqr_ms"]
        fitting = [c for c in row["candidates"] if c["measured_ms"] <= budget_ms]
        if row["candidates"] and not fitting:
            fastest = min(c["measured_ms"] for c in row["candidates"])
            row["note"] = (f"none of the {len(row['candidates'])} best predicted measured within the time "
                           f"(fastest {fastest:.3f} ms)")
        chosen = fitting[0] if fitting else None
        row.update(spec=chosen and chosen["spec"], width=chosen and chosen["width"],
                   params=chosen and chosen["params"], predicted_ms=chosen and chosen["predicted_ms"],
                   measured_ms=chosen and chosen["measured_ms"])
        if chosen is None:
            row["bound"] = None
    return context(document)


def render(document: dict) -> None:
    """The table of each family's answer: predicted and measured ms, and the bound that bit."""
    import sys

    from igcdesign.render import search_lines
    from igcdesign.textable import box_table

    verified = document["verified"]
    headers = ["spec", "width", "params", "predicted ms"] + (["measured ms"] if verified else []) + ["bound"]
    table = []
    for row in document["results"]:
        if table:
            table.append(None)
        if row["spec"] is None:
            table.append([f"{row['family']}: {row['note'] or 'no block fits'}", "–", "–", "–"]
                         + (["–"] if verified else []) + ["–"])
            continue
        cells = [row["spec"], f"{row['width']:,}", f"{row['params']:,}", f"{row['predicted_ms']:.3f}"]
        if verified:
            cells.append(f"{row['measured_ms']:.3f}")
        cells.append(row["bound"] or "–")
        table.append(cells)
    within = f"{document['latency_budget_ms']:g} ms" + (f" and {document['budget']:,} params" if document["budget"] else "")
    title = (f"Widest blocks within {within}, {document['kernel']}×{document['kernel']} kernels, "
             f"{document['hw']}×{document['hw']} map, batch {document['batch']}")
    right = [False, True, True, True] + ([True] if verified else []) + [False]
    sys.stdout.write(box_table(title, headers, table, right, wrap=(), drop=("params",)))
    sys.stdout.write(f"rule: {document['rule']} ({document['rule_meaning']})\n")
    for line in search_lines(document, []):
        sys.stdout.write(line + "\n")
    how = "the measurement decides: the widest of each family's best predicted whose measured latency fits" if verified \
        else "predicted only (--verify 0): nothing was measured"
    sys.stdout.write(f"predicted on {document['profile']}; {how}\n")
    if document.get("measurement"):
        from igcdesign.probe.render import print_measurement

        print_measurement(document["measurement"])
