"""The typer application: thin commands that parse, call the library and render.

Commands live one per module in :mod:`igcdesign.commands`; each module has a
``register(app)`` and keeps its heavy imports inside the command body, so that
``igcdesign --help`` stays instant. Every user error ends as one line on stderr and exit 2.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Sequence

import typer
from typer import _click
from typer.core import TyperGroup

from igcdesign.errors import IGCError


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


class OneLineErrorGroup(TyperGroup):
    """Runs commands non-standalone and turns every user error into one stderr line, exit 2."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any):
        extra.pop("standalone_mode", None)
        try:
            rv = super().main(args=args, prog_name=prog_name or "igcdesign", standalone_mode=False, **extra)
        except IGCError as e:
            _fail(str(e))
        except _click.exceptions.UsageError as e:
            if not e.format_message():  # bare `igcdesign`: the help was printed
                sys.exit(0)
            _fail(e.format_message())
        except _click.exceptions.ClickException as e:
            _fail(e.format_message())
        except typer.Abort:
            _fail("aborted")
        except BrokenPipeError:
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _fail(message: str) -> None:
    sys.stderr.write(f"igcdesign: error: {_one_line(message)}\n")
    sys.stderr.flush()
    sys.exit(2)


app = typer.Typer(
    cls=OneLineErrorGroup,
    name="igcdesign",
    help="Exact design-space answers for interleaved group convolution (IGCV1, IGCV2, IGCV3) blocks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich help formatter costs more than the whole CLI
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root() -> None:
    """Exact design-space answers for interleaved group convolution (IGCV1, IGCV2, IGCV3) blocks."""


def _register_commands() -> None:
    folder = os.path.join(os.path.dirname(__file__), "commands")
    names = sorted(
        entry[:-3] for entry in os.listdir(folder) if entry.endswith(".py") and not entry.startswith("_")
    )
    for name in names:
        importlib.import_module(f"igcdesign.commands.{name}").register(app)


_register_commands()


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    app(args=argv, prog_name="igcdesign")
