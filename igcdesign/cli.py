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
        except _click.exceptions.NoArgsIsHelpError as e:  # bare `igcdesign`: help, not an error
            sys.stdout.write(e.format_message() + "\n")
            sys.exit(0)
        except _click.exceptions.UsageError as e:
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


SUMMARY = "Exact design-space answers for interleaved group convolution (IGCV1, IGCV2, IGCV3) blocks."


def _root() -> None:
    """Exact design-space answers for interleaved group convolution (IGCV1, IGCV2, IGCV3) blocks."""


def command_names() -> list[str]:
    """The commands, one module each in igcdesign/commands (listed without importing them)."""
    folder = os.path.join(os.path.dirname(__file__), "commands")
    return sorted(entry[:-3] for entry in os.listdir(folder) if entry.endswith(".py") and not entry.startswith("_"))


def build_app(only: str | None = None) -> typer.Typer:
    """The typer application with every command, or with just `only` (what one run needs)."""
    application = typer.Typer(
        cls=OneLineErrorGroup,
        name="igcdesign",
        help=SUMMARY,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help: typer's rich help formatter costs more than the whole CLI
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    application.callback()(_root)  # keeps a group even with one command registered
    for name in [only] if only else command_names():
        importlib.import_module(f"igcdesign.commands.{name}").register(application)
    return application


def __getattr__(name: str):
    if name == "app":  # the full application, built on first use (tests, `python -m`)
        globals()["app"] = full = build_app()
        return full
    raise AttributeError(name)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: builds only the command being run, or all of them for help."""
    args = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):  # a terminal without Unicode gets '?' instead of a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    first = next((a for a in args if not a.startswith("-")), None)
    before = args[: args.index(first)] if first is not None else args
    wants_help = any(a in ("-h", "--help") for a in before)
    build_app(first if first in command_names() and not wants_help else None)(args=args, prog_name="igcdesign")
