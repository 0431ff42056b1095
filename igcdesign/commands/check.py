"""`igcdesign check SPEC`: is a grouping complementary, through how many paths, and how to fix it."""

from __future__ import annotations

import typer

from igcdesign.commands._options import JSON_OPTION


def check(
    spec: str = typer.Argument(..., help="Block spec, e.g. igcv2:K=1x4x4x4 or chain:W=24/144/24,G=2/2,P=s, or a unit spec such as shufflenetv2-unit:C=116 (grammar: docs/conventions.md)."),
    perm_file: str = typer.Option(
        None, "--perm-file", metavar="FILE",
        help="JSON list of index lists, one per gap between convs (output j = input perm[j]); replaces the spec's permutations. A regular file of at most 48 MiB.",
    ),
    json_: bool = JSON_OPTION,
) -> None:
    """Check the complementary condition: strict / relaxed (exit 0), redundant / sparse (exit 1).

    Exact path counts between every input and output channel, computed on class-level quotients
    held sparsely (no dense C×C product), so chains of up to 4,194,304 channels per layer can be
    checked, including chains that fall apart into many independent blocks (channel-wise convs,
    identity gaps). Refused with exit 2: wider chains, and irregular ones whose class-level path
    matrix needs more than 2^24 non-zero entries (distinct connected path profiles, about 1 GB)
    or more than 2^28 path terms at one conv. A spec has at most 16,384 characters and 1,024 convs.
    """
    from igcdesign.nets.unitspecs import is_unit_spec

    if is_unit_spec(spec):
        _check_unit(spec, perm_file, json_)
    from igcdesign.connectivity import analyze

    result = analyze(spec, perm_file=perm_file)
    if json_:
        from igcdesign.output import emit_json

        emit_json(result.as_dict())
    else:
        from igcdesign.connectivity.explain import render_check

        render_check(result)
    raise typer.Exit(result.exit_code)


def _check_unit(spec: str, perm_file: str | None, json_: bool) -> None:
    """A unit with a second path, a split or a concat (igcdesign.nets.unitspecs): its verdict
    from the unit's path counts; exits like a block's check."""
    from igcdesign.nets.unitcheck import check_unit_spec, render_unit_check

    result = check_unit_spec(spec, perms=perm_file)
    if json_:
        from igcdesign.output import emit_json

        emit_json(result.as_dict())
    else:
        render_unit_check(result.as_dict())
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
