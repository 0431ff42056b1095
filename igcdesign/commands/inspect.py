"""`igcdesign inspect MODEL`: a PyTorch model's blocks as chain specs, with counts and verdicts."""

from __future__ import annotations

from typing import Optional

import typer

from igcdesign.commands._options import JSON_OPTION

MODEL_HELP = (
    "MODULE:CALLABLE (e.g. mypackage.models:resnet18), path/file.py:CALLABLE, or a torch.export "
    "file FILE.pt2. CALLABLE is called with no arguments and must return an nn.Module. "
    "IMPORTING A MODULE RUNS ITS CODE with your rights: point inspect only at code you trust."
)
INPUT_HELP = ("Input shape to trace with, sides joined by x [default: 1x3x224x224; for a .pt2 file, the shape it "
              "was exported with]; 2–6 sides of 1–65,536, at most 2^26 elements.")


def inspect(
    model: str = typer.Argument(..., metavar="MODEL", help=MODEL_HELP),
    input_: Optional[str] = typer.Option(None, "--input", metavar="SHAPE", help=INPUT_HELP),
    bn: bool = typer.Option(False, "--bn", help="Count BN γ and β in the totals (docs/conventions.md)."),
    out_stages: Optional[str] = typer.Option(None, "--out-stages", metavar="FILE.yaml", help="Also write the model as a stage file that `igcdesign net` reads (.yaml, .yml or .json; atomically), as igcify --out-stages does; a model the format cannot hold is refused in one line naming the op, and no file is written."),
    json_: bool = JSON_OPTION,
) -> None:
    """Trace a PyTorch model and report its blocks: chain spec, params, mult_adds, mem_access and
    check's verdict per block, then the totals.

    IMPORTING A MODULE RUNS ITS CODE: only inspect models whose code you trust. What that code
    prints goes to stderr.

    The model is traced with torch.fx (symbolic_trace and shape propagation); where fx cannot
    trace it, with torch.export. Blocks are maximal linear runs of convolutions and channel
    permutations: BN, activations and dropout inside a run are transparent; a branch (a value used
    twice), a merge (add, concat of two tensors), pooling, flatten or any other op ends it.
    Permutations are found by running the model's shape-only ops (view, reshape, transpose,
    permute, index_select, chunk, cat, …) on a tensor of channel indices; one outside any run
    (after a concat) is listed alone. Each block spec pastes into count, check, probe; its
    counts are the library's at the traced maps. Totals add conv biases, FC weights and biases,
    BN with --bn, and every parameter the tracer could not place (listed), so they equal the
    model's own count; ops that are not costed are listed by name.
    """
    from igcdesign.probe.inspect.options import check_memory, parse_input, parse_target

    target = parse_target(model)
    stages_path = None
    if out_stages is not None:
        from igcdesign.files import check_out

        stages_path = check_out(out_stages, (".yaml", ".yml", ".json"), "--out-stages")
    shape = parse_input(input_) if input_ is not None else None
    if shape is not None:
        check_memory(shape)
    from igcdesign.probe import require_torch

    require_torch()
    from igcdesign.probe.inspect.report import traced_report
    from igcdesign.probe.inspect.source import build_model, example_shape

    built, program = build_model(target)
    if shape is None:
        shape = (example_shape(program) if program is not None else None) or parse_input(None)
        check_memory(shape)
    document, traced = traced_report(built, shape, bn=bn, source=target.text, program=program)
    if stages_path is not None:
        from igcdesign.files import atomic_write_text
        from igcdesign.probe.inspect.stagefile import stage_document, stage_text

        doc, _ = stage_document(built, shape, target.text, traced=traced, report=document)
        atomic_write_text(stages_path, stage_text(doc, stages_path.suffix))
        document["out_stages"] = str(stages_path)
    if json_:
        from igcdesign.output import emit_json

        emit_json(document)
        return
    from igcdesign.probe.inspect.render import render_inspect

    render_inspect(document)
    if stages_path is not None:
        from igcdesign.output import console

        console().print(f"wrote {stages_path}", soft_wrap=False, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
