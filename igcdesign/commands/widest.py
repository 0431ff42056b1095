"""`igcdesign widest --params T --kernel k`: the widest block of each family within a budget."""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.errors import IGCError
from igcdesign.options import JSON_OPTION, KERNEL_OPTION, check_kernel

FAMILY_NAMES = ("regular", "dwsep", "igcv1", "igcv2", "igcv3")


def parse_families(values: list[str] | None) -> list[str] | None:
    """--family may repeat or hold a comma list; 'all' means every family."""
    if not values:
        return None
    names: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if name == "all":
                return None
            if name not in FAMILY_NAMES:
                raise IGCError(f"unknown family '{name}' (choose from {', '.join(FAMILY_NAMES)}, all)")
            if name not in names:
                names.append(name)
    return names


def check_positive(value: int, option: str, maximum: int = 1 << 20) -> int:
    if not 1 <= value <= maximum:
        raise IGCError(f"{option} must be between 1 and {maximum}, got {value}")
    return value


def widest(
    params: str = typer.Option(..., "--params", "-p", help="Parameter budget T: 4672, 1e6, 1_000_000, 2.5M, 17.5k."),
    kernel: int = KERNEL_OPTION,
    expansion: int = typer.Option(6, "--expansion", "-t", help="IGCV3 expansion t (C_int = t·C)."),
    g1: int = typer.Option(2, "--g1", help="IGCV3 groups of the expanding 1×1 conv."),
    g2: int = typer.Option(2, "--g2", help="IGCV3 groups of the reducing 1×1 conv."),
    family: Optional[List[str]] = typer.Option(None, "--family", "-f", help="Restrict to families (repeat or comma list)."),
    json_: bool = JSON_OPTION,
) -> None:
    """The widest block of each family within a parameter budget, exact, with its continuous bound."""
    from igcdesign.numbers import parse_count
    from igcdesign.search import widest_all

    budget = parse_count(params, "--params")
    check_kernel(kernel)
    check_positive(expansion, "--expansion", 1 << 10)
    check_positive(g1, "--g1")
    check_positive(g2, "--g2")
    results = widest_all(budget, kernel, parse_families(family), expansion, g1, g2)
    if json_:
        from igcdesign.output import emit_json

        emit_json({"budget": budget, "kernel": kernel, "results": [r.as_dict() for r in results]})
        return
    from igcdesign.render import render_widest

    render_widest(budget, kernel, results)


def register(app: typer.Typer) -> None:
    app.command("widest")(widest)
