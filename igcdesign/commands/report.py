"""`igcdesign report [--out reports/]`: regenerate the committed reproductions of the papers."""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.errors import IGCError, shown
from igcdesign.commands._options import JSON_OPTION


def report(
    out: str = typer.Option("reports", "--out", "-o", help="Report directory (created if its parent exists); other files in it are kept."),
    section: Optional[List[str]] = typer.Option(None, "--section", help="Write only these sections (repeatable); README.md lists only them."),
    json_: bool = JSON_OPTION,
) -> None:
    """Write reports/README.md with the papers' tables reproduced, figures and CSVs.

    Every section is built apart first; the folder changes only if all of them could be built
    (otherwise: one error line, exit 2, nothing written). Files no section writes are kept.
    """
    import os
    from pathlib import Path

    from igcdesign.report import discover, write_report

    target = Path(out)
    if target.exists() and not target.is_dir():
        raise IGCError(f"--out {shown(out)}: is not a directory")
    if not target.exists():
        if not target.parent.is_dir():
            raise IGCError(f"--out {shown(out)}: parent directory '{shown(target.parent)}' does not exist")
    writable = target if target.exists() else target.parent
    if not os.access(writable, os.W_OK | os.X_OK):
        raise IGCError(f"--out {shown(out)}: directory '{shown(writable)}' is not writable")
    names = [s.name for s in discover()]
    for name in section or []:
        if name not in names:
            raise IGCError(f"unknown section '{shown(name)}' (known: {', '.join(names)})")
    written = write_report(target, only=list(section) if section else None)
    if json_:
        from igcdesign.output import emit_json

        emit_json(written.as_dict())
        return
    from igcdesign.output import console

    c = console()
    for s in written.sections:
        c.print(f"{s['status']:>11}  {s['name']}: {', '.join(s['files']) or '(markdown only)'}")
    c.print(f"wrote {target / 'README.md'}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
