"""The typer application: thin commands that parse, call the library and render.

Commands live one per module in :mod:`igcdesign.commands`; each module has a
``register(app)`` and keeps its heavy imports inside the command body, so that
``igcdesign --help`` stays instant. Every user error ends as one line on stderr and exit 2.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from typing import Any, Sequence

import typer
from typer import _click
from typer.core import TyperGroup

from igcdesign.errors import IGCError, shown


MAX_MESSAGE = 400  # characters of one error line; messages quote user input through errors.shown


def _one_line(message: str) -> str:
    line = " ".join(str(message).split())
    return line if len(line) <= MAX_MESSAGE else line[:MAX_MESSAGE] + "…"


class OneLineErrorGroup(TyperGroup):
    """Runs commands non-standalone and turns every failure into one stderr line and exit 2.

    Exit 1 stays a verdict (`check`: not complementary): no crash may end with it, so anything
    unexpected (an OSError while writing, a RecursionError, MemoryError, a bug) ends as exit 2
    with one line, never a traceback.
    """

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any):
        extra.pop("standalone_mode", None)
        try:
            rv = super().main(args=args, prog_name=prog_name or "igcdesign", standalone_mode=False, **extra)
            _flush_stdout()
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
        except BrokenPipeError:  # the reader left (`| head`): silent, as SIGPIPE would be, but never exit 1
            _silence_stdout()
            sys.exit(2)
        except OSError as e:
            _silence_stdout()
            _fail(_os_error(e))
        except RecursionError:
            _fail("input nested too deeply")
        except MemoryError:
            _fail("out of memory")
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:  # a bug: still one line and exit 2, never exit 1 (a verdict)
            _fail(f"internal error ({type(e).__name__}): {e}")
        sys.exit(rv if isinstance(rv, int) else 0)


def _flush_stdout() -> None:
    """Flush stdout inside the error handling, so that a full disk or closed pipe is one line."""
    if sys.stdout is not None:
        sys.stdout.flush()


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null, so that the interpreter's exit flush cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):  # no real fd (tests' captured stdout) or none at all
        pass


def _os_error(e: OSError) -> str:
    """'PATH: reason' for a failed file operation, 'writing output: reason' for stdout."""
    reason = e.strerror or e.__class__.__name__
    if e.filename is not None:
        return f"{shown(e.filename)}: {reason}"
    return f"cannot write output: {reason}"


def _fail(message: str) -> None:
    sys.stderr.write(f"igcdesign: error: {_one_line(message)}\n")
    sys.stderr.flush()
    sys.exit(2)


class _ClosedStdout:
    """Stands in for a closed fd 1 (`>&-`): every write fails as the OS would, with EBADF."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


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
    if sys.stdout is None:  # started with fd 1 closed
        sys.stdout = _ClosedStdout()
    if sys.stderr is None:  # fd 2 closed: errors still end the run with exit 2, unseen
        sys.stderr = open(os.devnull, "w")
    for stream in (sys.stdout, sys.stderr):  # a terminal without Unicode gets '?' instead of a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    first = next((a for a in args if not a.startswith("-")), None)
    before = args[: args.index(first)] if first is not None else args
    wants_help = any(a in ("-h", "--help") for a in before)
    build_app(first if first in command_names() and not wants_help else None)(args=args, prog_name="igcdesign")
