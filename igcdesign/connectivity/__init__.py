"""Complementarity of a chain: exact path counts, verdicts, super-channels and suggested fixes."""

from igcdesign.connectivity.paths import path_matrix

__all__ = ["path_matrix"]
