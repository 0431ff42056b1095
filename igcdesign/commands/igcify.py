"""`igcdesign igcify MODEL`: every dense k×k conv of a PyTorch model replaced by an IGC block."""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.commands._options import JSON_OPTION, MIN_TIME_OPTION, ROUNDS_OPTION, THREADS_OPTION
from igcdesign.commands.inspect import INPUT_HELP, MODEL_HELP


def igcify(
    model: str = typer.Argument(..., metavar="MODEL", help=MODEL_HELP),
    family: str = typer.Option("auto", "--family", help="igcv1, igcv2, igcv3, or auto (the best of the three)."),
    max_params: str = typer.Option("same", "--max-params", help="Each block's weights: same (at most the conv's) or a share such as 50%."),
    by: str = typer.Option("width", "--by", help="width: the widest block first; latency: the fastest the latency model predicts on this machine's profile."),
    pointwise: bool = typer.Option(False, "--1x1", help="Replace dense 1×1 convs too."),
    input_: Optional[str] = typer.Option(None, "--input", metavar="SHAPE", help=INPUT_HELP),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE.pt2", help="Write the new model with torch.export (atomically)."),
    out_stages: Optional[str] = typer.Option(None, "--out-stages", metavar="FILE.yaml", help="Write the new model as a stage file that `igcdesign net` reads (.yaml, .yml or .json; atomically). A model the format cannot hold is refused in one line naming the op, and no file is written."),
    measure: bool = typer.Option(False, "--measure", help="Time the original and the new model in one run."),
    batch: List[str] = typer.Option(["1"], "--batch", help="With --measure: batch size(s) [1–65,536, at most 64 sizes]."),
    threads: Optional[int] = THREADS_OPTION,
    min_time: float = MIN_TIME_OPTION,
    rounds: int = ROUNDS_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Replace every dense k×k conv (groups 1, square kernel, the grammar's padding) by the IGC
    block of the same input and output widths and stride with at most its weights, and report
    each replacement with params, mult_adds and mem_access before and after.

    IMPORTING A MODULE RUNS ITS CODE: only igcify models whose code you trust.

    Blocks come from the replacement candidates of each conv (igcdesign.replacement), widest
    first or, with --by latency, fastest first on this machine's profile. They are built as plain
    convs and channel shuffles, freshly initialised (train or fine-tune the new model); BN and
    activations after each conv stay. The totals are inspect's, of both models.

    --out-stages writes the new model as a stage file (stem, stages of chain blocks with their
    stride, identity or projection shortcut and BN positions, ShuffleNet units as unit specs, a
    pool after the stem or a stage, the classifier): `igcdesign net FILE` counts the params and mult-adds of the totals above
    (no BN, FC with its bias), and with --bn the model's own parameter count.
    """
    from igcdesign.probe.igcify_options import check_options
    from igcdesign.probe.inspect.options import check_memory, parse_input, parse_target

    target = parse_target(model)
    check_options(family, max_params, by)
    shape = parse_input(input_)
    check_memory(shape)
    out_path = None
    if out is not None:
        from igcdesign.files import check_out

        out_path = check_out(out, (".pt2",))
    stages_path = None
    if out_stages is not None:
        from igcdesign.files import check_out

        stages_path = check_out(out_stages, (".yaml", ".yml", ".json"), "--out-stages")
    settings = None
    if measure:
        from igcdesign.probe.measure import settings_from_options

        settings = settings_from_options(32, batch, threads, min_time, rounds)
    profile = None
    if by.strip().lower() == "latency":
        from igcdesign.profile import find_default_profile

        profile = find_default_profile("cpu", threads, "float32").profile
    from igcdesign.probe.igcify import export_model, igcify_model
    from igcdesign.probe.inspect.source import build_model

    built, _program = build_model(target)
    result = igcify_model(built, shape, family=family, max_params=max_params, by=by, pointwise=pointwise,
                          profile=profile, source=target.text)
    document = result.as_dict()
    measurement = None
    if measure:
        from igcdesign.probe.igcify import measure as measure_models
        from igcdesign.probe.measure import context

        probed = measure_models(result, built, shape, settings)
        measurement = context(probed)
        document["latency"] = [{key: row[key] for key in ("spec", "batch", "latency_ms", "iqr_ms", "params_torch")}
                               for row in probed["results"]]
        document["measurement"] = measurement
    stage_text = None
    if stages_path is not None:  # before any file is written: a model it cannot hold writes none
        from igcdesign.probe.igcify import stage_file_text

        stage_text = stage_file_text(result, shape, stages_path.suffix, f"igcify {target.text}")
    if out_path is not None:
        export_model(result.model, shape, out_path)
        document["out"] = str(out_path)
    if stages_path is not None:
        from igcdesign.files import atomic_write_text

        atomic_write_text(stages_path, stage_text)
        document["out_stages"] = str(stages_path)
    if json_:
        from igcdesign.output import emit_json

        emit_json(document)
        return
    from igcdesign.probe.igcify_render import render_igcify

    render_igcify(document)
    if measurement is not None:
        from igcdesign.probe.render import print_measurement

        print_measurement(measurement)


def register(app: typer.Typer) -> None:
    app.command("igcify")(igcify)
