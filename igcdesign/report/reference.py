"""Where the papers' printed numbers live (../shared/reference), read as plain rows.

The reference directory is found next to the repository (``<repo>/../shared/reference``) or from
the ``IGCDESIGN_REFERENCE`` environment variable. Numbers are read, never copied into code.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from igcdesign.report import SectionUnavailable


def reference_dir() -> Path:
    env = os.environ.get("IGCDESIGN_REFERENCE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "reference"


def read_reference(name: str) -> list[dict[str, str]]:
    """The rows of reference CSV `name`, or SectionUnavailable if it is not there."""
    path = reference_dir() / name
    if not path.is_file():
        raise SectionUnavailable(f"reference file {name} not found (set IGCDESIGN_REFERENCE)")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
