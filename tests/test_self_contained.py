"""The repository stands alone: no file of it names a path outside it (a sibling checkout, the
machine's temporary folder, an absolute home), and every document it cites is in it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Written in pieces so that this file does not hold the very strings it forbids.
FORBIDDEN = ["../" + "shared", "/" + "work/", "/" + "tmp/", "shared/" + "reference", "/" + "home/", "/" + "Users/"]
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"}


def repo_files() -> list[Path]:
    """The tracked files (git ls-files), or, outside a git checkout, every file but build output."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60).stdout
        names = [n for n in listed.decode("utf-8", "surrogateescape").split("\0") if n]
        if names:
            return [REPO / n for n in names if (REPO / n).is_file()]
    except (OSError, subprocess.SubprocessError):
        pass
    return [p for p in REPO.rglob("*") if p.is_file()
            and not any(part in SKIP_DIRS or part.endswith(".egg-info") for part in p.relative_to(REPO).parts)]


def texts() -> dict[str, str]:
    found = {}
    for path in repo_files():
        try:
            found[path.relative_to(REPO).as_posix()] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # figures
    return found


def test_no_file_names_a_path_outside_the_repo():
    offenders = [f"{name}:{text[:i].count(chr(10)) + 1}: {needle}"
                 for name, text in texts().items() for needle in FORBIDDEN
                 for i in [text.find(needle)] if i >= 0]
    assert not offenders, offenders


def test_no_file_cites_the_design_notes_that_are_not_in_the_repo():
    offenders = [name for name, text in texts().items() if re.search(r"\bDESIGN(\.md| grammar)", text)]
    assert not offenders, offenders


def test_the_docs_cited_exist():
    cited = set()
    for text in texts().values():
        cited |= set(re.findall(r"\bdocs/[A-Za-z0-9_-]+\.md", text))
    assert "docs/conventions.md" in cited
    for name in cited:
        assert (REPO / name).is_file(), name
