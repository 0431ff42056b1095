"""`igcdesign count SPEC`: params, mult_adds, mem_access and per-layer breakdown of any block."""

from __future__ import annotations

import typer

from igcdesign.options import HW_OPTION, JSON_OPTION, check_hw


def count(
    spec: str = typer.Argument(..., help="Block spec, e.g. igcv1:L=4,M=8,k=3 (grammar: docs/conventions.md)."),
    hw: int = HW_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Count params, multiply-adds and memory access of any block, layer by layer."""
    from igcdesign.counting import count_block
    from igcdesign.output import emit_json
    from igcdesign.families import parse_block

    check_hw(hw)
    result = count_block(parse_block(spec), hw)
    if json_:
        emit_json(result.as_dict())
        return
    from igcdesign.render import render_count

    render_count(result)


def register(app: typer.Typer) -> None:
    app.command("count")(count)
