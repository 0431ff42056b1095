"""The papers' printed numbers, shipped in the package (``igcdesign/data``), read as plain rows.

Each CSV's source (paper, table) is listed in ``igcdesign/data/README.md``. The files are read
through :mod:`importlib.resources`, so an installed (non-editable) package finds them too.
Numbers are read, never copied into code.
"""

from __future__ import annotations

import csv
import io
from importlib.resources import files
from importlib.resources.abc import Traversable

DATA_PACKAGE = "igcdesign.data"


def reference_files() -> Traversable:
    """The folder of the reference CSVs (a Traversable: a plain Path in a normal install)."""
    return files(DATA_PACKAGE)


def read_reference(name: str) -> list[dict[str, str]]:
    """The rows of reference CSV `name` (e.g. ``igcv1_table3_cifar.csv``) as dicts of strings.

    A name that is not shipped is a bug of the caller: FileNotFoundError.
    """
    text = reference_files().joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))
