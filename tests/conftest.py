"""Shared test helpers: run the CLI in-process as a user would, and find the reference data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from igcdesign.cli import app

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


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
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE}")
    return REFERENCE
