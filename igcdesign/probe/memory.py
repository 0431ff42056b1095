"""How much memory a probe needs, estimated before anything is built, and the refusal."""

from __future__ import annotations

from igcdesign.errors import IGCError
from igcdesign.probe.device import DTYPE_BYTES
from igcdesign.probe.targets import Target

# Share of the free memory a probe may plan to use: the rest is for torch, the allocator and the OS.
USABLE_FRACTION = 0.8


def estimate_bytes(target: Target, batch: int, dtype: str) -> int:
    """Weights + (every map the module produces + a conv's scratch buffer) × batch, in bytes.

    A conservative bound for inference: it counts all intermediate maps as if they were alive
    together, plus BN's four vectors per channel when BN is added (a few KB, ignored here).
    """
    size = DTYPE_BYTES[dtype]
    return (target.params + (target.activations + target.workspace) * batch) * size


def check_fits(target: Target, batch: int, dtype: str, available: int, limit: str | None = None) -> int:
    """The estimate, or IGCError when it exceeds USABLE_FRACTION of `available` bytes; the
    error names `limit`, what set `available` (MemAvailable, RLIMIT_AS, a cgroup), when given."""
    need = estimate_bytes(target, batch, dtype)
    usable = int(available * USABLE_FRACTION)
    if need > usable:
        raise IGCError(
            f"{target.spec} at batch {batch} needs about {format_bytes(need)} "
            f"but only {format_bytes(usable)} is usable here"
            + (f" (set by {limit})" if limit else "")
            + ": lower --batch or --hw"
        )
    return need


def format_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
