"""Shared test helpers: run the CLI in-process as a user would, and find the reference data
(the papers' printed numbers, shipped in the package: igcdesign/data, sources in its README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from igcdesign.cli import app
from igcdesign.report.reference import reference_files


class CLIResult:
    def __init__(self, result):
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.exception = result.exception

    def json(self):
        return json.loads(self.stdout)


def run_cli(*args: str) -> CLIResult:
    """Invoke `igcdesign ARGS...` through typer's CliRunner, stdout and stderr kept apart."""
    runner = CliRunner()
    result = runner.invoke(app, list(args), prog_name="igcdesign")
    return CLIResult(result)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def reference() -> Path:
    """The folder of the packaged reference CSVs; never skipped: the numbers ship with the code."""
    folder = reference_files()
    assert isinstance(folder, Path) and folder.is_dir(), f"igcdesign.data is not a folder: {folder!r}"
    return folder


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user cache: machine profiles go to a scratch folder."""
    monkeypatch.setenv("IGCDESIGN_CACHE_DIR", str(tmp_path_factory.mktemp("igcdesign-cache")))
