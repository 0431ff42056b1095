"""The README's console examples: find them, run them, and write their real output back.

Each ```console block whose first line is `$ igcdesign ...` is an example. Running this file
replaces each block's output by what the command prints now (through typer's CliRunner, 80
columns, in a scratch directory); tests/test_readme.py runs the same examples and fails when
an output has drifted. A block preceded by `<!-- varies -->` (timings) is checked for its exit
code only.

    python scripts/readme_examples.py        # rewrite README.md
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(?P<before><!-- varies -->\n)?```console\n\$ (?P<command>igcdesign [^\n]*)\n(?P<output>.*?)```", re.S)


@dataclass
class Example:
    command: str
    output: str
    varies: bool
    span: tuple[int, int]


def examples(text: str) -> list[Example]:
    return [
        Example(m["command"], m["output"], bool(m["before"]), m.span())
        for m in BLOCK.finditer(text)
    ]


def run(command: str) -> tuple[int, str]:
    """Exit code and stdout of one example, run as the README shows it; `igcdesign A && igcdesign
    B` runs both in the same scratch directory (B sees A's files) and shows both outputs."""
    from typer.testing import CliRunner

    from igcdesign.cli import app

    words = shlex.split(command)
    commands = [[]]
    for word in words:
        if word == "&&":
            commands.append([])
        else:
            commands[-1].append(word)
    previous = os.getcwd()
    code, output = 0, ""
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            for args in commands:
                result = CliRunner(env={"COLUMNS": "80", "TERM": "dumb", "IGCDESIGN_CACHE_DIR": scratch}).invoke(app, args[1:], prog_name="igcdesign")
                code, output = result.exit_code, output + result.stdout
                if code:
                    break
        finally:
            os.chdir(previous)
    return code, output


def render(text: str) -> str:
    pieces, last = [], 0
    for example in examples(text):
        start, end = example.span
        _, output = run(example.command)
        pieces.append(text[last:start])
        prefix = "<!-- varies -->\n" if example.varies else ""
        pieces.append(f"{prefix}```console\n$ {example.command}\n{output}```")
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def main() -> None:
    README.write_text(render(README.read_text()))
    sys.stdout.write(f"updated {len(examples(README.read_text()))} examples in {README}\n")


if __name__ == "__main__":
    main()
