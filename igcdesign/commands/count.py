"""`igcdesign count SPEC`: params, mult_adds, mem_access and per-layer breakdown of any block."""

from __future__ import annotations

from typing import Optional

import typer

from igcdesign.errors import IGCError, shown
from igcdesign.commands._options import HW_OPTION, JSON_OPTION, check_hw, MAX_THREADS, int_option

MAX_FLOOR_BATCH = 1 << 16


def count(
    spec: str = typer.Argument(..., help="Block spec, e.g. igcv1:L=4,M=8,k=3,s=2, or a unit spec such as shufflenetv2-unit:C=116 (grammar: docs/conventions.md)."),
    hw: int = HW_OPTION,
    batch: int = int_option(1, "--batch", help="Batch size for the floor (the roofline time on this machine's profile).", high=1 << 16),
    threads: Optional[int] = int_option(None, "--threads", help="Profile to use for the floor: calibrated with N threads (default: torch's).", high=MAX_THREADS),
    dtype: str = typer.Option("float32", "--dtype", help="Profile to use for the floor: calibrated in this dtype."),
    json_: bool = JSON_OPTION,
) -> None:
    """Count params, multiply-adds and memory access of any block, layer by layer, and its floor
    on this machine when `igcdesign calibrate` has profiled it."""
    from igcdesign.counting import count_block
    from igcdesign.families import parse_block
    from igcdesign.floor import DTYPE_BYTES, block_floor_document
    from igcdesign.output import emit_json
    from igcdesign.profile import find_default_profile

    check_hw(hw)
    if not 1 <= batch <= MAX_FLOOR_BATCH:
        raise IGCError(f"--batch must be between 1 and {MAX_FLOOR_BATCH}, got {batch}")
    if threads is not None and not 1 <= threads <= 1024:
        raise IGCError(f"--threads must be between 1 and 1024, got {threads}")
    if dtype not in DTYPE_BYTES:
        raise IGCError(f"--dtype must be one of {', '.join(DTYPE_BYTES)}, got '{shown(dtype)}'")
    from igcdesign.nets.unitspecs import is_unit_spec

    if is_unit_spec(spec):
        _count_unit(spec, hw, json_)
        return
    block = parse_block(spec)
    result = count_block(block, hw)
    lookup = find_default_profile("cpu", threads, dtype)
    floor = block_floor_document(block, hw, lookup.profile, dtype, batch) if lookup.profile else None
    if json_:
        emit_json({**result.as_dict(), "floor": floor, **({} if floor else {"floor_note": lookup.message})})
        return
    from igcdesign.render import render_count

    render_count(result, floor)
    if floor is None:
        from igcdesign.machine_render import floor_note

        floor_note(f"no floor: {lookup.message}")


def _count_unit(spec: str, hw: int, json_: bool) -> None:
    """A unit with a second path, a split or a concat (igcdesign.nets.unitspecs), both paths
    layer by layer; no floor (the profile prices chains)."""
    from igcdesign.nets.unitcheck import count_unit_spec
    from igcdesign.nets.unitspecs import parse_unit

    result = count_unit_spec(*parse_unit(spec), hw)
    note = "no floor for a unit spec (the floor prices a block's chain)"
    if json_:
        from igcdesign.output import emit_json

        emit_json({**result.as_dict(), "floor": None, "floor_note": note})
        return
    from igcdesign.machine_render import floor_note
    from igcdesign.render import render_count

    render_count(result)
    floor_note(note)


def register(app: typer.Typer) -> None:
    app.command("count")(count)
