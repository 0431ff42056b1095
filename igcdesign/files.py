"""Writing files the way every igcdesign command must: checked first, atomically, reproducibly.

- :func:`check_out` refuses an output path with an unknown suffix or in a missing directory
  (IGCError, so the CLI exits 2 before any work is done).
- :func:`atomic_write_text` / :func:`atomic_writer` write a temporary file in the same
  directory and rename it over the target, so an interrupted or failed write leaves no partial
  file behind.
- :func:`save_figure` saves a matplotlib figure without dates or version stamps.
- :func:`write_csv` writes rows as CSV, atomically.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

from igcdesign.errors import IGCError, shown

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def check_out(path: str | Path, suffixes: Sequence[str], what: str = "--out") -> Path:
    """`path` as a Path if its suffix is one of `suffixes` and its directory exists, else IGCError.

    A symlink is followed to the file it names (which is then replaced); a dangling one whose
    target's directory does not exist is refused.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in suffixes:
        given = f"'{shown(p.suffix)}'" if p.suffix else "no suffix"
        raise IGCError(f"{what} {shown(p)}: {given} is not one of {', '.join(suffixes)}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise IGCError(f"{what} {shown(p)}: directory '{shown(parent)}' does not exist")
    if p.is_symlink():
        real = Path(os.path.realpath(p))
        if not real.parent.is_dir():
            raise IGCError(f"{what} {shown(p)}: a symlink to '{shown(real)}', whose directory does not exist")
    if p.is_dir():
        raise IGCError(f"{what} {shown(p)}: is a directory")
    return p


def _mode_for(path: Path) -> int:
    """The mode the written file gets: that of the file it replaces, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


_CLEANUP_SIGNALS = ("SIGTERM", "SIGHUP")


@contextlib.contextmanager
def _removed_on_signal() -> Iterator[list[str]]:
    """A list to which the caller adds temporary paths: while inside, SIGTERM or SIGHUP remove
    them, then act as they would have (the previous handler, or the default: the process ends by
    that signal). SIGINT needs no handler: KeyboardInterrupt already unwinds through the cleanup.
    The handlers are in place before any path is added, so no signal finds a file unguarded."""
    import signal
    import threading

    doomed: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield doomed
        return
    wanted = [getattr(signal, name) for name in _CLEANUP_SIGNALS if hasattr(signal, name)]
    previous = {}

    def handler(signum, frame):
        for tmp in doomed:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        before = previous.get(signum)
        signal.signal(signum, before if before is not None else signal.SIG_DFL)
        if callable(before):
            before(signum, frame)
        elif before != signal.SIG_IGN:
            os.kill(os.getpid(), signum)

    for signum in wanted:
        previous[signum] = signal.signal(signum, handler)
    try:
        yield doomed
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before if before is not None else signal.SIG_DFL)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGTERM/SIGHUP held back (delivered on leaving) while a temporary file is created and
    its name recorded: the handler can then never run between the two."""
    import signal
    import threading

    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = {getattr(signal, name) for name in _CLEANUP_SIGNALS if hasattr(signal, name)}
    before = block(signal.SIG_BLOCK, wanted)
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, before)


@contextlib.contextmanager
def _replaced_atomically(path: Path, suffix: str) -> Iterator[str]:
    """A temporary path next to `path`; renamed over `path` on success, removed on any error or
    on SIGTERM/SIGHUP. The result keeps the mode of the file it replaces; a new file follows the
    umask. OS errors (no permission, disk full, a name too long) are one-line IGCErrors."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    mode = _mode_for(path)
    with _removed_on_signal() as doomed:
        with _signals_held():
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:32]}.", suffix=suffix[:16], dir=path.parent or ".")
            except OSError as e:
                raise IGCError(f"{shown(path)}: cannot write: {e.strerror or e.__class__.__name__}") from None
            doomed.append(tmp)
        os.close(fd)
        try:
            yield tmp
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, OSError) and not isinstance(e, BrokenPipeError):
                raise IGCError(f"{shown(path)}: cannot write: {e.strerror or e.__class__.__name__}") from None
            raise


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "w") -> Iterator[Any]:
    """Open a temporary file next to `path`; on success rename it to `path`, on error remove it."""
    kwargs = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
    with _replaced_atomically(path, ".tmp") as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text)


def atomic_save(path: Path, save) -> None:
    """Call save(tmp_path) for a temporary path next to `path` (same suffix), then rename it into place."""
    with _replaced_atomically(path, Path(path).suffix) as tmp:
        save(tmp)


def save_figure(fig, path: Path) -> None:
    """Save a figure by suffix (.png/.svg/.pdf) with no dates or software stamps, atomically."""
    import matplotlib

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    metadata = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}, "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}}[fmt]
    with matplotlib.rc_context({"svg.hashsalt": "igcdesign", "svg.fonttype": "path"}):
        atomic_save(path, lambda tmp: fig.savefig(tmp, format=fmt, metadata=metadata, dpi=120, bbox_inches="tight"))


def listing(out: Path) -> list[str]:
    """Names of the plain files in a directory."""
    return sorted(p.name for p in Path(out).iterdir() if p.is_file())


def write_csv(path: Path, rows: Sequence[dict], columns: Sequence[str]) -> None:
    """Rows (dicts) as CSV with the given columns, atomically, '\\n' line ends, floats to 6 digits."""
    import csv

    def fmt(v: Any) -> Any:
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, float):
            return f"{v:.6g}"
        return "" if v is None else v

    with atomic_writer(Path(path)) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([fmt(row.get(c)) for c in columns])


# --- reading what users name -----------------------------------------------------------------

MAX_JSON_DIGITS = 19  # digits of one integer inside a user's file (int64); Python refuses 4300+ anyway


def read_user_text(path: str | Path, what: str, max_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most `max_bytes`, or IGCError with one line.

    Devices, FIFOs and directories are refused before anything is read (opened with O_NONBLOCK,
    so a FIFO cannot block the open either), and at most max_bytes + 1 bytes are ever read.
    """
    import stat

    name = shown(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise IGCError(f"{what} {name}: {e.strerror or 'cannot open'}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IGCError(f"{what} {name}: not a regular file")
        if info.st_size > max_bytes:
            raise IGCError(f"{what} {name}: {info.st_size:,} bytes is larger than {max_bytes:,}")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:  # the file grew while being read
            raise IGCError(f"{what} {name}: larger than {max_bytes:,} bytes")
    except OSError as e:
        raise IGCError(f"{what} {name}: {e.strerror or 'cannot read'}") from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise IGCError(f"{what} {name}: not UTF-8 text") from None


def load_json(text: str, what: str) -> Any:
    """json.loads with every integer at most MAX_JSON_DIGITS digits, no NaN/Infinity, and deep
    nesting refused: IGCError with one line for anything else."""
    import json

    def integer(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_JSON_DIGITS:
            raise IGCError(f"{what}: an integer of {len(digits.lstrip('-')):,} digits (at most {MAX_JSON_DIGITS})")
        return int(digits)

    def constant(name: str) -> Any:
        raise IGCError(f"{what}: {name} is not a number JSON allows")

    try:
        return json.loads(text, parse_int=integer, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise IGCError(f"{what}: not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except RecursionError:
        raise IGCError(f"{what}: nested too deeply") from None
