"""Per-step latency from the profile's layer table: measured, interpolated, or the floor.

Every step (:class:`~igcdesign.latency.steps.Step`) has a roofline floor on the profiled machine
(:mod:`igcdesign.floor`: max(mult_adds / peak, bytes / bandwidth) + the call cost, over the
layers it runs, a shuffle read on the way in included). What varies smoothly between shapes is
not the time but the time per unit of that work: the ratio measured / floor. A step whose key is
in the table is *measured*. Otherwise its ratio is interpolated in log space from the measured
steps of the same kind (:attr:`Step.kind`: operation, kernel, stride, layouts, shuffle, dense /
grouped / channel-wise) nearest to it in octaves of channels per group, groups, map side and
batch (:attr:`Step.features`), by inverse squared distance over the :data:`NEIGHBOURS` nearest:
log r = Σ wᵢ log rᵢ / Σ wᵢ, wᵢ = 1 / dᵢ². Without any measured step of its kind the ratios of
the same operation are used; with none at all the prediction is the floor. A prediction is never
below the step's floor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from igcdesign.floor import DTYPE_BYTES, layer_floors
from igcdesign.latency.steps import Step, parse_key

NEIGHBOURS = 4
SOURCES = ("measured", "interpolated", "floor")


@dataclass(frozen=True)
class StepEstimate:
    """A step's predicted and floor seconds, and where the prediction came from."""

    predicted_s: float
    floor_s: float
    source: str


def work_floor_s(step: Step, profile: Any, dtype: str = "float32") -> float:
    """The floor of the step's own shape, the unit its ratio is measured in: its conv's (or its
    permutation's) roofline, plus one pass over the input map for a shuffle read on the way in.
    Unlike the chain's floor it is never zero (an identity permutation still runs)."""
    size = DTYPE_BYTES[dtype]
    positions_in = step.batch * step.hw * step.hw
    call = profile.call_s
    if step.op in ("shuffle", "permute"):
        return 2 * positions_in * step.cin * size / profile.bandwidth + call
    positions = step.batch * step.hw_out * step.hw_out
    params = step.cin // step.groups * step.cout * step.k * step.k
    macs = params * positions
    moved = step.cin * positions_in + step.cout * positions + params
    if step.shuffle:
        moved += 2 * step.cin * positions_in
    return max(macs / profile.peak, moved * size / profile.bandwidth) + call


def chain_floor_s(layers: Iterable[tuple], batch: int, profile: Any, dtype: str = "float32") -> float:
    """The roofline floor (igcdesign.floor) of (layer, output positions[, input positions]) per
    sample."""
    return sum(f.floor_s for f in layer_floors(layers, profile, dtype, batch) if f is not None)


class LayerModel:
    """The layer table of one profile, indexed for prediction (build once, call many times)."""

    def __init__(self, profile: Any, dtype: str | None = None, neighbours: int = NEIGHBOURS,
                 table: Mapping[str, float] | None = None):
        self.profile = profile
        self.dtype = dtype or profile.fingerprint.dtype
        if self.dtype not in DTYPE_BYTES:
            self.dtype = "float32"
        self.neighbours = neighbours
        self.table = dict(profile.layer_latency_ms if table is None else table)
        self.by_kind: dict[tuple, list[tuple[tuple[float, ...], float]]] = {}
        self.by_op: dict[str, list[tuple[tuple[float, ...], float]]] = {}
        for key, ms in self.table.items():
            step = parse_key(key)
            point = (step.features, math.log(ms * 1e-3 / work_floor_s(step, profile, self.dtype)))
            self.by_kind.setdefault(step.kind, []).append(point)
            self.by_op.setdefault(step.op, []).append(point)
        self._ratios: dict[Step, tuple[float, str]] = {}
        self._arrays: dict[Any, tuple] = {}
        self.layers: dict[tuple, Any] = {}  # what igcdesign.latency memoises: per step, per block
        self.predictions: dict[tuple, Any] = {}

    def ratio(self, step: Step) -> tuple[float, str]:
        """(predicted seconds / the step's work floor, source) for a step."""
        cached = self._ratios.get(step)
        if cached is not None:
            return cached
        ms = self.table.get(step.key)
        if ms is not None:
            found = (ms * 1e-3 / work_floor_s(step, self.profile, self.dtype), "measured")
        else:
            group = step.kind if step.kind in self.by_kind else step.op
            points = self.by_kind.get(step.kind) or self.by_op.get(step.op)
            if points:
                found = (math.exp(self._nearest(group, points, step.features)), "interpolated")
            else:
                found = (1.0, "floor")
        self._ratios[step] = found
        return found

    def _nearest(self, group: Any, points: list[tuple[tuple[float, ...], float]], where: tuple[float, ...]) -> float:
        """:func:`interpolate`, vectorised over the group's points (built once per group)."""
        import numpy as np

        arrays = self._arrays.get(group)
        if arrays is None:
            arrays = self._arrays[group] = (np.array([f for f, _ in points], dtype=float),
                                             np.array([v for _, v in points], dtype=float))
        features, values = arrays
        distance2 = ((features - np.asarray(where, dtype=float)) ** 2).sum(axis=1)
        k = min(self.neighbours, len(values))
        nearest = np.argpartition(distance2, k - 1)[:k] if k < len(values) else np.arange(len(values))
        d2 = distance2[nearest]
        if (d2 == 0).any():
            return float(values[nearest][d2 == 0][0])
        weights = 1 / d2
        return float((weights * values[nearest]).sum() / weights.sum())

    def estimate(self, step: Step, floor_s: float) -> StepEstimate:
        """The step's prediction (seconds), never below `floor_s`, the floor of the layers it runs."""
        ratio, source = self.ratio(step)
        predicted = ratio * work_floor_s(step, self.profile, self.dtype)
        return StepEstimate(max(predicted, floor_s), floor_s, source)


def interpolate(points: list[tuple[tuple[float, ...], float]], where: tuple[float, ...], neighbours: int = NEIGHBOURS) -> float:
    """Inverse-squared-distance mean of the values of the `neighbours` points nearest to `where`
    (Euclidean distance on the features); the value itself at a point at distance 0."""
    nearest = sorted(((sum((a - b) ** 2 for a, b in zip(features, where)), value) for features, value in points),
                     key=lambda pair: pair[0])[:neighbours]
    for distance2, value in nearest:
        if distance2 == 0:
            return value
    weights = [1 / d2 for d2, _ in nearest]
    return sum(w * v for w, (_, v) in zip(weights, nearest)) / sum(weights)
