"""Every console example in the README runs, and shows the output the tool prints today."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import readme_examples  # noqa: E402

EXAMPLES = readme_examples.examples(readme_examples.README.read_text())


def test_readme_has_examples():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command[:60] for e in EXAMPLES])
def test_readme_example(example):
    if example.varies:
        pytest.importorskip("torch")
    code, output = readme_examples.run(example.command)
    assert code in (0, 1), output
    if not example.varies:
        assert output == example.output, "README output drifted: run python scripts/readme_examples.py"


def test_readme_stage_file_example_is_a_valid_network(cli, tmp_path):
    import re

    (body,) = re.findall(r"```yaml\n(.*?)```", readme_examples.README.read_text(), re.S)
    path = tmp_path / "net.yaml"
    path.write_text(body)
    result = cli("net", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["params"] > 0
