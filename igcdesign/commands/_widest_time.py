"""`widest --latency-budget TIME`: per family the widest block predicted within the time, then the
best few measured in the same run; the measurement decides (igcdesign.timed_search)."""

from __future__ import annotations

from typing import Any

VERIFY_ROUNDS = 3


def widest_time(latency_budget: str, params: int | None, kernel: int, families, options, rule: str, verify: int,
                hw: int, batch, threads, min_time: float, rounds: int, json_: bool, margin: str = "5%",
                clock: str | None = None) -> None:
    """Run the time search and (verify > 0) its measurement, stepping down where nothing measured
    fits; print the document or the table."""
    from igcdesign.errors import IGCError
    from igcdesign.families import widest_families
    from igcdesign.numbers import parse_duration
    from igcdesign.profile import find_default_profile
    from igcdesign.rules import RULES
    from igcdesign.search import search_document
    from igcdesign.timed_search import widest_within_time
    from igcdesign.validate import check_hw, parse_batches, parse_percent

    seconds = parse_duration(latency_budget, "--latency-budget")
    fraction = parse_percent(margin, "--margin")
    check_hw(hw)
    batches = parse_batches(batch)
    settings = None
    if verify:
        from igcdesign.probe import require_torch

        torch = require_torch()
        from igcdesign.probe.layer_latency import uses_cpu_clock
        from igcdesign.probe.measure import settings_from_options

        run_threads = threads if threads is not None else torch.get_num_threads()
        clock = clock or ("cpu" if uses_cpu_clock(run_threads) else "wall")  # the layer table's clock
        # every candidate measured in VERIFY_ROUNDS rounds at least, each building it afresh; it fits
        # when its slowest round does (the same block differs by up to ±30 % between runs here)
        settings = settings_from_options(hw, batches[:1], threads, min_time, max(rounds, VERIFY_ROUNDS), clock=clock)
    lookup = find_default_profile("cpu", threads)
    if lookup.profile is None:
        raise IGCError(f"--latency-budget needs this machine's profile: {lookup.message}")
    wanted = families or widest_families(default=True)
    search = dict(hw=hw, batch=batches[0], profile=lookup.profile, k=kernel, params=params, options=options, rule=rule,
                  verify=max(verify, 1))
    results = widest_within_time(seconds, families=wanted, **search)
    document: dict[str, Any] = {
        "latency_budget_ms": seconds * 1e3, "budget": params, "kernel": kernel, "hw": hw, "batch": batches[0],
        "rule": rule, "rule_meaning": RULES[rule], **search_document(options, wanted),
        "profile": lookup.profile.fingerprint.describe(), "verified": bool(verify),
    }
    if verify:
        def research(family: str, budget_ms: float):
            return widest_within_time(budget_ms / 1e3, families=[family], **search)[0]

        document["margin"] = fraction
        accuracy = lookup.profile.latency_accuracy
        document["repeat_p90"] = accuracy.repeat_p90 if accuracy is not None else None
        document["measurement"], document["measuring_rounds"] = decide(results, research, settings, verify, fraction,
                                                                      quiet=json_)
    document["results"] = [r.as_dict() for r in results]
    if json_:
        from igcdesign.output import emit_json

        emit_json(document)
        return
    render(document)


def decide(results, research, settings, verify: int, margin: float, quiet: bool) -> tuple[dict | None, int]:
    """Measure the candidates (igcdesign.timed_search.decide_by_measurement: the widest measured
    within budget × (1 − margin) decides, stepping down where none does), every round with
    igcdesign's probe; the measuring context of the run and the number of rounds."""
    from igcdesign.probe.measure import context, probe
    from igcdesign.progress import Progress
    from igcdesign.timed_search import decide_by_measurement

    contexts = []

    def measure(specs: list[str]) -> dict[str, dict]:
        with Progress("measuring", delay=0, enabled=False if quiet else None) as progress:
            document = probe(specs, settings, baseline=None, progress=progress)
        contexts.append(context(document))
        return {r["spec"]: {"measured_ms": max(r.get("round_medians_ms") or [r["latency_ms"]]),
                            "best_round_ms": r["latency_ms"], "iqr_ms": r["iqr_ms"]} for r in document["results"]}

    if not any(r.candidates for r in results):
        return None, 0
    rounds = decide_by_measurement(results, measure, research, verify=verify, margin=margin)
    merged = dict(contexts[0])
    loads = [c["load_average"] for c in contexts if c.get("load_average")]
    if loads:
        merged["load_average"] = [loads[0][0], loads[-1][-1]]
    merged["busy"] = next((c["busy"] for c in contexts if c.get("busy")), None)
    return merged, rounds


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
    for row in document["results"]:
        if row.get("step_downs"):
            ratios = ", ".join(f"{step['ratio']:.2f}" for step in row["step_downs"])
            sys.stdout.write(f"{row['family']}: stepped down {len(row['step_downs'])}× "
                             f"(measured / predicted {ratios})\n")
    sys.stdout.write(f"rule: {document['rule']} ({document['rule_meaning']})\n")
    for line in search_lines(document, []):
        sys.stdout.write(line + "\n")
    if verified:
        rounds = (document.get("measurement") or {}).get("rounds") or VERIFY_ROUNDS
        how = (f"the measurement decides: the widest whose slowest of {rounds} rounds "
               f"is within the budget less {document['margin']:.0%} "
               f"(--margin); where none fits, the search stepped down by measured / predicted "
               f"({document['measuring_rounds']} measuring rounds)")
    else:
        how = "predicted only (--verify 0): nothing was measured"
    sys.stdout.write(f"predicted on {document['profile']}; {how}\n")
    repeat = document.get("repeat_p90")
    if verified and repeat is not None and repeat > document["margin"]:
        sys.stdout.write(f"on this machine a second run of a block lands within ±{100 * repeat:.0f} % of the first "
                         f"only 90 % of the time (benchmarks/bench_latency_model.py): --margin {100 * repeat:.0f}% "
                         "makes these answers hold in a fresh run\n")
    if document.get("measurement"):
        from igcdesign.probe.render import print_measurement

        print_measurement(document["measurement"])
