"""`igcdesign derive igcv1|igcv2|igcv3`: the papers' results, derived step by step by sympy."""

from __future__ import annotations

import typer

from igcdesign.errors import IGCError, shown
from igcdesign.commands._options import JSON_OPTION


def derive(
    family: str = typer.Argument(..., help="A family with a derivation: igcv1, igcv2, igcv3, shufflenetv1."),
    latex: bool = typer.Option(False, "--latex", help="Print each step as LaTeX (for papers)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Show a family's derivation step by step: pretty for people, LaTeX for papers."""
    from igcdesign.families import FAMILIES, families_supporting

    name = family.strip().lower()
    derivable = families_supporting("derive")
    if name not in derivable:
        raise IGCError(f"unknown family '{shown(family)}' (derivations exist for {', '.join(derivable)})")
    import sympy as sp

    derivation = FAMILIES[name].derivation()
    if json_:
        from igcdesign.output import emit_json

        emit_json({
            "family": name,
            "steps": [
                {"title": s.title, "text": sp.sstr(s.expr), "latex": sp.latex(s.expr), "note": s.note}
                for s in derivation.steps
            ],
        })
        return
    from igcdesign.output import console

    from rich.text import Text

    out = console()
    out.print(f"{name.upper()} derivation", style="bold")
    for i, step in enumerate(derivation.steps, 1):
        out.print(Text.assemble("\n", (f"{i}.", "bold"), f" {step.title}"))
        body = sp.latex(step.expr) if latex else sp.pretty(step.expr, use_unicode=True)
        out.print(body, markup=False, highlight=False)
        if step.note:
            out.print(f"   {step.note}", style="dim")


def register(app: typer.Typer) -> None:
    app.command("derive")(derive)
