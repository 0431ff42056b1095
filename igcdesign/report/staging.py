"""Build a folder's new files apart, and install them only once all of them were built.

:func:`staged` gives a fresh, uniquely named folder beside the target (on the target's file
system, so every move out of it is a rename). Whatever is written there is invisible to the target
and to any other run: two runs never see each other's staging folders, which are hidden
(``.<name>.staging-<random>``) and never listed by the report. :func:`install` then renames the
staged files into the target, the file named last (the index that links to the others) last, so a
reader sees each file whole, old or new, and the new index only once its files are in place; when
the target does not exist yet, the staging folder itself is renamed to it, all at once. If
anything fails before :func:`install`, the staging folder is removed and the target is left as it
was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import stat
import threading
from pathlib import Path
from typing import Iterator, Sequence

from igcdesign.errors import IGCError, shown

STAGING_MARK = ".staging-"


def is_staging(name: str) -> bool:
    """Whether a file name is one of the staging folders made here (of this run or another)."""
    return name.startswith(".") and STAGING_MARK in name


def _host(target: Path) -> Path:
    """Where to make the staging folder: beside the target, or inside it when the target exists
    and its parent is not writable or on another file system (the target is a mount point)."""
    parent = target.parent
    if target.is_dir() and (not os.access(parent, os.W_OK | os.X_OK)
                            or os.stat(target).st_dev != os.stat(parent).st_dev):
        return target
    return parent


def _new_folder(host: Path, name: str) -> Path:
    """A new, empty folder in `host` with a name no other run holds; created with the umask."""
    for _ in range(100):
        path = host / f".{name or 'out'}{STAGING_MARK}{secrets.token_hex(6)}"
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise IGCError(f"cannot create a staging folder in '{shown(host)}'")  # pragma: no cover - 100 clashes of 48 random bits


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While held, SIGTERM raises SystemExit(143) so that cleanup runs (main thread, default
    handler only: a handler someone installed is left alone)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A fresh staging folder for `target` (a folder, which need not exist yet); removed on exit,
    also when the process is stopped by SIGTERM or SIGINT."""
    target = Path(os.path.abspath(target))
    with _sigterm_unwinds():
        try:
            folder = _new_folder(_host(target), target.name)
        except OSError as e:
            raise IGCError(f"cannot create a staging folder beside '{shown(target)}': {e.strerror or e}") from None
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _preflight(target: Path, names: Sequence[str]) -> None:
    """Refuse before moving anything when a move would fail: target not writable, a name a folder."""
    if not os.access(target, os.W_OK | os.X_OK):
        raise IGCError(f"--out {target}: not writable")
    for name in names:
        there = target / name
        if there.is_dir() and not there.is_symlink():
            raise IGCError(f"--out {shown(target)}: '{shown(name)}' is a folder, cannot write the file of that name")


def install(staging: Path, target: Path, last: str | None = None) -> list[str]:
    """Move every file of `staging` into `target` (created by rename if missing), `last` last.

    A file that replaces one in `target` keeps that file's permission bits. Returns the names.
    """
    target = Path(target)
    names = sorted(p.name for p in staging.iterdir() if p.is_file())
    if last in names:
        names.remove(last)
        names.append(last)
    if not target.exists() and not target.is_symlink():
        try:
            os.rename(staging, target)
            return names
        except OSError:
            if not target.is_dir():
                raise
            # another run created the target meanwhile: install into it file by file, as below
    _preflight(target, names)
    for name in names:
        source, there = staging / name, target / name
        with contextlib.suppress(FileNotFoundError):
            os.chmod(source, stat.S_IMODE(os.stat(there).st_mode))
        os.replace(source, there)
    return names
