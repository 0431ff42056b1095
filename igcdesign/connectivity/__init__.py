"""Complementarity of a chain: exact path counts, verdicts, super-channels and suggested fixes.

`path_matrix(chain)` is the dense p[o, i] (small chains); `analyze(spec | Block | chain)` gives the
verdict of any chain, large ones included, as a CheckResult whose as_dict() is `check --json`.
"""

from igcdesign.connectivity.paths import path_matrix
from igcdesign.connectivity.verdict import CheckResult, analyze, classify

__all__ = ["CheckResult", "analyze", "classify", "path_matrix"]
