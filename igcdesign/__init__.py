"""igcdesign: exact design-space answers for interleaved group convolution networks.

The package keeps one description of every block, a *chain* of group convolutions and
channel permutations (:mod:`igcdesign.layers`). Counting, symbolic derivation,
connectivity checks and the PyTorch probe all read that chain.

The public API (:mod:`igcdesign.api`, loaded on first use, so ``import igcdesign`` imports
neither torch, pandas, matplotlib nor sympy):

- ``parse(spec)`` → :class:`Block`; every function below takes a spec string or a Block;
- ``count(spec, hw=32)`` → ``.params``, ``.mult_adds``, ``.mem_access``, ``.layers``;
- ``widest(budget, kernel=3, family=None, …)`` → results with ``.family``, ``.width``, ``.params``, ``.spec``;
- ``check(spec)`` → ``.verdict``, ``.min_paths``, ``.max_paths``, ``.fix`` (unit specs too, as ``count`` and ``module``);
- ``table(budget, family="igcv1", …)`` and ``space(family, max_params, …)`` → ``.rows``,
  ``.to_frame()`` (pandas), and ``space(...).pareto(x, y)``;
- ``net(spec_or_file, bn=False, …)`` → ``.params``, ``.mult_adds``, ``.mem_access``, ``.stages``;
- ``derive(family)`` → ``.steps`` (sympy);
- ``module(spec, bn=False, relu=False)`` → a torch ``nn.Module`` (scriptable, traceable, exportable);
- ``predict_latency(spec, hw=32, batch=1)`` → ``.predicted_ms``, ``.floor_ms``, ``.layers``, ``.accuracy``
  on this machine's profile (no torch).
- ``inspect(model, input=(1, 3, 224, 224))`` → a torch model's blocks as chain specs (``inspect --json``);
- ``igcify(model, family="auto", input=…)`` → a copy of a torch model with IGC blocks for its dense convs.

Errors are :class:`IGCError` (bad values) and its subclass :class:`SpecError` (bad specs), with
the one-line message the CLI prints. The README's "As a library" section shows each in use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "parse": "igcdesign.api", "count": "igcdesign.api", "widest": "igcdesign.api", "check": "igcdesign.api",
    "table": "igcdesign.api", "space": "igcdesign.api", "net": "igcdesign.api", "derive": "igcdesign.api",
    "module": "igcdesign.api", "predict_latency": "igcdesign.api", "inspect": "igcdesign.api", "igcify": "igcdesign.api", "Block": "igcdesign.families.block", "IGCError": "igcdesign.errors",
    "SpecError": "igcdesign.errors",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'igcdesign' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
