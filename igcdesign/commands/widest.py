"""`igcdesign widest --params T --kernel k`: the widest block of each family within a budget."""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.commands._options import (
    BATCH_OPTION,
    EXPANSION_OPTION,
    JSON_OPTION,
    KERNEL_OPTION,
    MAX_GROUPS,
    MAX_HW,
    MIN_TIME_OPTION,
    ROUNDS_OPTION,
    THREADS_OPTION,
    check_kernel,
    int_option,
)
from igcdesign.validate import check_positive

RULE_OPTION = typer.Option(
    "checked", "--rule",
    help="Which blocks count: 'checked' (default), those `check` calls strict or relaxed; 'paper', each "
         "paper's own rule where it has one (IGCV3: C a multiple of G1·G2).")


def parse_families(values: list[str] | None) -> list[str] | None:
    """--family may repeat or hold a comma list; 'all' means every family with a widest search."""
    from igcdesign.families import chosen_widest_families

    return chosen_widest_families(values)


def widest(
    params: str = typer.Option(..., "--params", "-p", help="Parameter budget T: 4672, 1e6, 1_000_000, 2.5M, 17.5k."),
    kernel: int = KERNEL_OPTION,
    expansion: int = EXPANSION_OPTION,
    g1: int = int_option(2, "--g1", help="IGCV3 groups of the expanding 1×1 conv.", high=MAX_GROUPS),
    g2: int = int_option(2, "--g2", help="IGCV3 groups of the reducing 1×1 conv.", high=MAX_GROUPS),
    family: Optional[List[str]] = typer.Option(None, "--family", "-f", help="Families (repeat or comma list; 'all' adds shufflenetv1 to the default five)."),
    rule: str = RULE_OPTION,
    measure: bool = typer.Option(False, "--measure", help="Also time each optimum in PyTorch against the regular conv (needs torch)."),
    near: Optional[str] = typer.Option(None, "--near", help="Time every block within P% (0–50%) of each family's widest width (e.g. 2%) and rank them by latency."),
    top: int = int_option(10, "--top", help="With --near: at most this many of the widest candidates per family.", high=1000),
    hw: int = int_option(16, "--hw", help="With --measure/--near: side of the output map.", high=MAX_HW),
    batch: List[str] = BATCH_OPTION,
    threads: Optional[int] = THREADS_OPTION,
    min_time: float = MIN_TIME_OPTION,
    rounds: int = ROUNDS_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """The widest block of each family within a parameter budget, exact, with its continuous bound."""
    from igcdesign.numbers import parse_count
    from igcdesign.rules import RULES, check_rule
    from igcdesign.search import widest_all

    budget = parse_count(params, "--params")
    check_kernel(kernel)
    check_positive(expansion, "--expansion", 1 << 10)
    check_positive(g1, "--g1")
    check_positive(g2, "--g2")
    families = parse_families(family)
    rule = check_rule(rule)
    results = widest_all(budget, kernel, families, expansion, g1, g2, rule)
    document = {"budget": budget, "kernel": kernel, "rule": rule, "rule_meaning": RULES[rule],
                "results": [r.as_dict() for r in results]}
    if measure or near is not None:
        document.update(_measure(results, budget, kernel, families, expansion, g1, g2, measure, near, top,
                                 hw, batch, threads, min_time, rounds, quiet=json_, rule=rule))
    if json_:
        from igcdesign.output import emit_json

        document["results"] = [r.as_dict() for r in results]
        emit_json(document)
        return
    from igcdesign.render import render_near, render_widest

    render_widest(budget, kernel, results, rule=f"rule: {rule} ({RULES[rule]})")
    if "measurement" in document:
        from igcdesign.probe.render import print_measurement

        print_measurement(document["measurement"])
    if "near" in document:
        from igcdesign.probe.render import print_measurement

        render_near(document["near"], document["near_percent"])
        print_measurement(document["near_measurement"])


def _measure(results, budget, kernel, families, expansion, g1, g2, measure, near, top, hw, batch, threads,
             min_time, rounds, quiet, rule="checked") -> dict:
    """Run the probe for --measure and --near; returns the extra JSON fields."""
    from igcdesign.validate import parse_percent

    fraction = parse_percent(near) if near is not None else None
    check_positive(top, "--top", 1000)
    from igcdesign.probe.measure import measure_widest, rank_near, settings_from_options
    from igcdesign.progress import Progress
    from igcdesign.families import widest_families

    settings = settings_from_options(hw, batch, threads, min_time, rounds)
    extra: dict = {"hw": hw}
    with Progress("measuring", delay=0, enabled=False if quiet else None) as progress:
        if measure:
            extra["measurement"] = measure_widest(results, budget, kernel, settings, progress)
            extra["device"] = extra["measurement"]["device"]
        if fraction is not None:
            wanted = [f for f in (families or widest_families(default=True)) if f != "regular"]
            extra["near_percent"] = fraction * 100
            extra["near"], extra["near_measurement"] = rank_near(
                budget, kernel, wanted, fraction, settings, top, expansion, g1, g2, progress, rule=rule)
    return extra


def register(app: typer.Typer) -> None:
    app.command("widest")(widest)
