"""The roofline floor of a layer, a block and a network on a profiled machine.

Per layer: max(mult_adds / peak, bytes moved / bandwidth) + the fixed cost of one call, where
bytes moved = the layer's ShuffleNet V2 mem_access (the count every command reports) × the
dtype's bytes. A block's or network's floor is the sum over its layers. No implementation of
the same layers can run faster than its floor on that machine (by more than the calibration's
noise) while its maps live in main memory; maps small enough to stay in the caches can. measured / floor says how far a kernel is from what the hardware allows.

Plain arithmetic on the counts and a :class:`~igcdesign.profile.Profile`: no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from igcdesign.layers import positioned
from igcdesign.profile import Profile

DTYPE_BYTES = {"float32": 4, "float64": 8, "bfloat16": 2, "float16": 2}


@dataclass(frozen=True)
class LayerFloor:
    """Seconds one layer needs at least: compute, memory, their max plus the call cost."""

    compute_s: float
    memory_s: float
    call_s: float

    @property
    def floor_s(self) -> float:
        return max(self.compute_s, self.memory_s) + self.call_s

    @property
    def bound(self) -> str:
        """'memory' or 'compute': which of the two limits the layer."""
        return "memory" if self.memory_s >= self.compute_s else "compute"


def layer_floor(mult_adds: int, mem_access: int, profile: Profile, dtype_bytes: int) -> LayerFloor:
    """The floor of one layer from its multiply-adds and mem_access (elements) for the whole batch."""
    return LayerFloor(
        compute_s=mult_adds / profile.peak,
        memory_s=mem_access * dtype_bytes / profile.bandwidth,
        call_s=profile.call_s,
    )


@dataclass(frozen=True)
class Floor:
    """The floor of a sequence of layers: per-layer floors and their sum."""

    layers: tuple[LayerFloor, ...]

    @property
    def floor_s(self) -> float:
        return sum(layer.floor_s for layer in self.layers)

    @property
    def floor_ms(self) -> float:
        return self.floor_s * 1e3

    @property
    def memory_s(self) -> float:
        return sum(layer.memory_s for layer in self.layers)

    @property
    def compute_s(self) -> float:
        return sum(layer.compute_s for layer in self.layers)

    @property
    def bound(self) -> str:
        """'memory' when memory-bound layers hold most of the floor, else 'compute'."""
        memory = sum(layer.floor_s for layer in self.layers if layer.bound == "memory")
        return "memory" if memory >= self.floor_s / 2 else "compute"

    def as_dict(self) -> dict[str, Any]:
        return {
            "floor_ms": self.floor_ms,
            "compute_ms": self.compute_s * 1e3,
            "memory_ms": self.memory_s * 1e3,
            "call_ms": sum(layer.call_s for layer in self.layers) * 1e3,
            "bound": self.bound,
        }


def dtype_bytes(dtype: str) -> int:
    """Bytes per element of a dtype name (float32, bfloat16, …)."""
    return DTYPE_BYTES[dtype]


def floor_of(costs: Iterable[tuple[int, int]], profile: Profile, dtype: str = "float32") -> Floor:
    """The floor of layers given as (mult_adds, mem_access) pairs for the whole batch."""
    size = dtype_bytes(dtype)
    return Floor(tuple(layer_floor(m, a, profile, size) for m, a in costs))


def chain_floor(chain: Sequence[Any], positions: int, profile: Profile, dtype: str = "float32", batch: int = 1) -> Floor:
    """The floor of a block's chain on `positions` output pixels per sample, for `batch` samples:
    every layer at the same map, a stride-1 chain (a strided one: :func:`block_floor`).

    Maps scale with the batch and weights do not: mem_access(batch · positions) is exactly
    batch × (input + output maps) + weights, as ShuffleNet V2 counts one call on a batch.
    Permutations that move nothing (mem_access 0) cost nothing, not even a call.
    """
    return walk_floor(((layer, positions) for layer in chain), profile, dtype, batch)


def block_floor(block: Any, hw: int, profile: Profile, dtype: str = "float32", batch: int = 1) -> Floor:
    """The floor of a parsed block entered on an hw×hw map (every layer at its own output map)."""
    return walk_floor(positioned(block.chain, hw), profile, dtype, batch)


def walk_floor(layers: Iterable[tuple], profile: Profile, dtype: str = "float32", batch: int = 1) -> Floor:
    """The floor of (layer, output positions[, input positions]) tuples, e.g. a network walked
    stage by stage (see :func:`layer_floors`)."""
    return Floor(tuple(f for f in layer_floors(layers, profile, dtype, batch) if f is not None))


def layer_floors(layers: Iterable[tuple], profile: Profile, dtype: str = "float32",
                 batch: int = 1) -> list[LayerFloor | None]:
    """Per (layer, output positions[, input positions]) tuple, positions per sample, its floor for
    `batch` samples; None for a layer that moves nothing (an identity permutation): no work, no
    call. Without input positions a conv reads positions·stride², exact only where its stride
    divides the input side: strided layers come with theirs (:func:`positioned`)."""
    size = dtype_bytes(dtype)
    out: list[LayerFloor | None] = []
    for layer, positions, *given in layers:
        in_positions = batch * given[0] if given else None
        mem = layer.mem_access(batch * positions, in_positions)
        out.append(layer_floor(layer.mult_adds(batch * positions), mem, profile, size) if mem else None)
    return out


def block_floor_document(block: Any, hw: int, profile: Profile, dtype: str = "float32", batch: int = 1) -> dict[str, Any]:
    """What `count --json` reports: the profile used, the totals and each layer's floor_ms."""
    per_layer = layer_floors(positioned(block.chain, hw), profile, dtype, batch)
    total = Floor(tuple(f for f in per_layer if f is not None))
    return {
        "profile": profile.fingerprint.describe(),
        "batch": batch,
        "dtype": dtype,
        **total.as_dict(),
        "layers_ms": [None if f is None else f.floor_s * 1e3 for f in per_layer],
        "layers_bound": [None if f is None else f.bound for f in per_layer],
    }
