"""What `inspect` and `igcify` are pointed at, and the input they trace with, checked before any
user code runs (no torch here)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from igcdesign.errors import IGCError, shown

MAX_INPUT_DIMS = 6
MAX_INPUT_SIDE = 1 << 16  # as --hw
MAX_INPUT_ELEMENTS = 1 << 26  # 256 MiB of float32: the input, and each traced map it stands for
MAX_SOURCE_BYTES = 16 << 20  # a model file (.py) read by the importer
MAX_EXPORT_BYTES = 4 << 30  # a torch.export file (.pt2): its weights are in it
DEFAULT_INPUT = (1, 3, 224, 224)

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class Target:
    """A model to build: `module` (a dotted module name) or `path` (a .py file) with `attr` (the
    callable, possibly dotted), or `path` alone for a torch.export file (`exported`)."""

    text: str
    module: str | None = None
    path: str | None = None
    attr: str | None = None

    @property
    def exported(self) -> bool:
        return self.attr is None


def parse_target(text: str) -> Target:
    """MODULE:CALLABLE, path/file.py:CALLABLE, or a torch.export file (FILE.pt2); IGCError
    (one line) for anything else, before anything is imported or read."""
    text = str(text)
    if text.endswith(".pt2"):
        _check_file(text, MAX_EXPORT_BYTES, "model file")
        return Target(text=text, path=text)
    where, colon, attr = text.rpartition(":")
    if not colon or not where or not attr:
        raise IGCError(f"model '{shown(text)}': expected MODULE:CALLABLE, path/file.py:CALLABLE or FILE.pt2")
    if not _DOTTED.fullmatch(attr):
        raise IGCError(f"model '{shown(text)}': '{shown(attr)}' is not a Python name (a callable, e.g. resnet18)")
    if where.endswith(".py"):
        _check_file(where, MAX_SOURCE_BYTES, "model file")
        return Target(text=text, path=where, attr=attr)
    if not _DOTTED.fullmatch(where):
        raise IGCError(f"model '{shown(text)}': '{shown(where)}' is neither a module name nor a .py file")
    return Target(text=text, module=where, attr=attr)


def _check_file(path: str, limit: int, what: str) -> None:
    import stat

    try:
        info = os.stat(path)
    except OSError as e:
        raise IGCError(f"{what} {shown(path)}: {e.strerror or 'cannot be read'}") from None
    if not stat.S_ISREG(info.st_mode):
        raise IGCError(f"{what} {shown(path)}: not a regular file")
    if info.st_size > limit:
        raise IGCError(f"{what} {shown(path)}: {info.st_size:,} bytes, at most {limit:,}")


def parse_input(text: str | None) -> tuple[int, ...]:
    """'1x3x224x224' → (1, 3, 224, 224): 2 to 6 sides in ASCII digits, each 1 … 65,536, at most
    2^26 elements; IGCError otherwise."""
    if text is None:
        return DEFAULT_INPUT
    raw = str(text).strip()
    parts = raw.lower().split("x")
    if not 2 <= len(parts) <= MAX_INPUT_DIMS or not all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts):
        raise IGCError(f"--input '{shown(raw)}': expected sides joined by x, e.g. 1x3x224x224 (2 to {MAX_INPUT_DIMS} sides)")
    sides = tuple(int(p) for p in parts)
    if not all(1 <= s <= MAX_INPUT_SIDE for s in sides):
        raise IGCError(f"--input '{shown(raw)}': every side must be between 1 and {MAX_INPUT_SIDE:,}")
    elements = 1
    for s in sides:
        elements *= s
    if elements > MAX_INPUT_ELEMENTS:
        raise IGCError(f"--input '{shown(raw)}': {elements:,} elements, at most {MAX_INPUT_ELEMENTS:,}")
    return sides


def check_memory(shape: tuple[int, ...], factor: int = 16) -> None:
    """Refuse an input whose float32 maps (`factor` of them at once, a generous guess at what a
    traced model holds) would not fit in the memory this process may still take."""
    from igcdesign.probe.memory_limits import headroom

    elements = 1
    for s in shape:
        elements *= s
    need = elements * 4 * factor
    free, limit = headroom()
    if need > free:
        raise IGCError(f"--input {'x'.join(map(str, shape))}: needs about {need:,} bytes, {free:,} free ({limit})")
