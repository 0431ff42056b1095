"""The papers' numbers ship with the package: every data file is named in the package data of
pyproject.toml (so a non-editable install has it), is read through importlib.resources, and has
its source listed in igcdesign/data/README.md."""

from __future__ import annotations

import csv
import fnmatch
import tomllib
from pathlib import Path

from igcdesign.report.reference import read_reference, reference_files

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "igcdesign" / "data"


def data_files() -> list[str]:
    return sorted(p.name for p in DATA.iterdir() if p.is_file() and p.suffix != ".py")


def test_every_data_file_is_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["igcdesign.data"]
    missing = [name for name in data_files() if not any(fnmatch.fnmatch(name, g) for g in globs)]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_every_csv_has_its_source_listed():
    sources = (DATA / "README.md").read_text(encoding="utf-8")
    for name in data_files():
        if name.endswith(".csv"):
            assert name in sources, f"igcdesign/data/README.md does not say where {name} comes from"


def test_resources_hold_the_repository_files():
    assert reference_files().joinpath("README.md").is_file()
    for name in data_files():
        if name.endswith(".csv"):
            with open(DATA / name, newline="", encoding="utf-8") as handle:
                assert read_reference(name) == list(csv.DictReader(handle))
