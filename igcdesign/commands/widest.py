"""`igcdesign widest --params T --kernel k`: the widest block of each family within a budget."""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.commands._options import (
    BATCH_OPTION,
    CLOCK_OPTION,
    JSON_OPTION,
    KERNEL_OPTION,
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
    params: Optional[str] = typer.Option(None, "--params", "-p", help="Parameter budget T: 4672, 1e6, 1_000_000, 2.5M, 17.5k (needed unless --latency-budget is given)."),
    latency_budget: Optional[str] = typer.Option(None, "--latency-budget", help="Widest within this predicted time per block on this machine's profile at --hw and the first --batch (0.5ms, 500us, 0.0005s; 1 µs to 60 s); the --verify best are then measured and the measurement decides."),
    verify: int = int_option(3, "--verify", help="With --latency-budget: blocks per family measured to decide (0: predictions only, no torch).", low=0, high=10),
    clock: Optional[str] = CLOCK_OPTION,
    margin: str = typer.Option("5%", "--margin", help="With --latency-budget and --verify: a measured block fits within the budget less this share (0–50%), room for a second run's noise."),
    kernel: int = KERNEL_OPTION,
    expansion: str = typer.Option("6", "--expansion", "-t", help="IGCV3 expansion t (C_int = t·C), or the values the search ranges over: 6, 1-6, 2,4,6 [1–1,024]."),
    g1: str = typer.Option("2", "--g1", help="IGCV3 groups of the expanding 1×1 conv, or values to range over: 2, 1-4, 1,2,4 [1–1,048,576]."),
    g2: str = typer.Option("2", "--g2", help="IGCV3 groups of the reducing 1×1 conv, or values to range over (as --g1)."),
    family: Optional[List[str]] = typer.Option(None, "--family", "-f", help="Families (repeat or comma list; 'all' adds shufflenetv1 to the default five)."),
    rule: str = RULE_OPTION,
    multiple_of: Optional[int] = int_option(None, "--multiple-of", help="Width and every conv's channels per group a multiple of N (channel-wise convs exempt).", high=1 << 20),
    max_convs: Optional[int] = int_option(None, "--max-convs", help="At most N convs per block.", high=1 << 10),
    min_group_size: Optional[int] = int_option(None, "--min-group-size", help="Every conv's channels per group at least N (channel-wise convs exempt).", high=1 << 20),
    measure: bool = typer.Option(False, "--measure", help="Also time each optimum in PyTorch against the regular conv (needs torch)."),
    near: Optional[str] = typer.Option(None, "--near", help="Time every block within P% (0–50%) of each family's widest width (e.g. 2%) and rank them by latency."),
    top: int = int_option(10, "--top", help="With --near: at most this many of the widest candidates per family.", high=1000),
    hw: int = int_option(16, "--hw", help="With --measure/--near: side of the (square) input map.", high=MAX_HW),
    batch: List[str] = BATCH_OPTION,
    threads: Optional[int] = THREADS_OPTION,
    min_time: float = MIN_TIME_OPTION,
    rounds: int = ROUNDS_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """The widest block of each family within a parameter budget, exact, with its continuous bound;
    or within a time (--latency-budget), predicted then measured."""
    from igcdesign.constraints import Constraints
    from igcdesign.errors import IGCError
    from igcdesign.families import widest_families
    from igcdesign.numbers import parse_count
    from igcdesign.rules import RULES, check_rule
    from igcdesign.search import design_options, search_document, widest_all

    if params is None and latency_budget is None:
        raise IGCError("give --params T, --latency-budget TIME, or both")
    budget = parse_count(params, "--params") if params is not None else None
    check_kernel(kernel)
    constraints = Constraints(multiple_of=multiple_of, max_convs=max_convs, min_group_size=min_group_size)
    options = design_options(expansion, g1, g2, constraints)
    families = parse_families(family)
    rule = check_rule(rule)
    if latency_budget is not None:
        from igcdesign.commands._widest_time import widest_time

        if measure or near is not None:
            raise IGCError("--latency-budget measures its own candidates (--verify N); leave out --measure and --near")
        widest_time(latency_budget, budget, kernel, families, options, rule, verify, hw, batch, threads, min_time,
                    rounds, json_, margin, clock)
        return
    ts, a, b = options.expansions or options.expansion, options.g1s or options.g1, options.g2s or options.g2
    results = widest_all(budget, kernel, families, ts, a, b, rule, constraints)
    document = {"budget": budget, "kernel": kernel, "rule": rule, "rule_meaning": RULES[rule],
                **search_document(options, families or widest_families(default=True)),
                "results": [r.as_dict() for r in results]}
    if measure or near is not None:
        document.update(_measure(results, budget, kernel, families, ts, a, b, measure, near, top,
                                 hw, batch, threads, min_time, rounds, quiet=json_, rule=rule,
                                 constraints=constraints, clock=clock))
    if json_:
        from igcdesign.output import emit_json

        document["results"] = [r.as_dict() for r in results]
        emit_json(document)
        return
    from igcdesign.render import render_near, render_widest

    render_widest(budget, kernel, results, rule=f"rule: {rule} ({RULES[rule]})", search=document)
    if "measurement" in document:
        from igcdesign.probe.render import print_measurement

        print_measurement(document["measurement"])
    if "near" in document:
        from igcdesign.probe.render import print_measurement

        render_near(document["near"], document["near_percent"])
        print_measurement(document["near_measurement"])


def _measure(results, budget, kernel, families, expansion, g1, g2, measure, near, top, hw, batch, threads,
             min_time, rounds, quiet, rule="checked", constraints=None, clock=None) -> dict:
    """Run the probe for --measure and --near; returns the extra JSON fields."""
    from igcdesign.validate import parse_percent

    fraction = parse_percent(near) if near is not None else None
    check_positive(top, "--top", 1000)
    from igcdesign.probe.measure import measure_widest, rank_near, settings_from_options
    from igcdesign.progress import Progress
    from igcdesign.families import widest_families

    settings = settings_from_options(hw, batch, threads, min_time, rounds, clock=clock or "wall")
    extra: dict = {"hw": hw}
    with Progress("measuring", delay=0, enabled=False if quiet else None) as progress:
        if measure:
            extra["measurement"] = measure_widest(results, budget, kernel, settings, progress)
            extra["device"] = extra["measurement"]["device"]
        if fraction is not None:
            wanted = [f for f in (families or widest_families(default=True)) if f != "regular"]
            extra["near_percent"] = fraction * 100
            extra["near"], extra["near_measurement"] = rank_near(
                budget, kernel, wanted, fraction, settings, top, expansion, g1, g2, progress, rule=rule,
                constraints=constraints)
    return extra


def register(app: typer.Typer) -> None:
    app.command("widest")(widest)
