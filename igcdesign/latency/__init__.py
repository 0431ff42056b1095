"""Predicted latency of a block on a profiled machine, without torch and without measuring.

:func:`predict` costs the steps the block's module runs (:mod:`igcdesign.latency.steps`), each
from the profile's layer table (:mod:`igcdesign.latency.model`: measured, interpolated from
measured neighbours, or the floor; never below the floor). For ``impl='fast'`` the fast module's
plan is chosen per shape by a measurement (:mod:`igcdesign.probe.tune`), which keeps the fastest:
the prediction is the fastest plan's, and names it. A network's prediction is the sum over its
blocks (:func:`predict_total`). Shapes missing from the table are measured, separately and with
torch, by :func:`igcdesign.probe.layer_latency.measure_missing`.

A block costs more than its steps timed one by one (the module's own calls, layout copies and
caches between steps: 1.18× in the median of 16 blocks here), so the sum is multiplied by the
family's *block factor*: the median of measured / Σ steps over a few calibration blocks of that
family whose every step is measured (:func:`igcdesign.probe.layer_latency.calibrate_blocks`,
run by ``latency --seed``; 1 where none was measured).

Every prediction carries the model's measured error on this machine (``accuracy``: the profile's
last accuracy run, benchmarks/bench_latency_model.py), or None where it was never measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from igcdesign.errors import IGCError, shown
from igcdesign.latency.model import LayerModel, chain_floor_s
from igcdesign.latency.steps import PLANS, PlannedStep, Step, plan_steps
from igcdesign.profile import LatencyAccuracy, Profile

IMPLS = ("fast", "plain")
MAX_BATCH = 1 << 16


@dataclass(frozen=True)
class LayerPrediction:
    """One step of the module: the chain layer it runs (its name), the step's shape key in the
    layer table, its predicted and floor milliseconds, and 'measured', 'interpolated' or 'floor'."""

    name: str
    key: str
    predicted_ms: float
    floor_ms: float
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "predicted_ms": self.predicted_ms,
                "floor_ms": self.floor_ms, "source": self.source}


@dataclass(frozen=True)
class Prediction:
    """A block's predicted latency (ms per call on a batch), its roofline floor, the plan whose
    steps are costed, one entry per step, and the model's measured error here (or None)."""

    predicted_ms: float
    floor_ms: float
    layers: tuple[LayerPrediction, ...]
    accuracy: LatencyAccuracy | None
    impl: str
    plan: str
    hw: int
    batch: int
    plans_ms: dict[str, float] = field(default_factory=dict)
    block_factor: float = 1.0  # predicted_ms = Σ layers' predicted_ms × block_factor (at least the floor)

    @property
    def sources(self) -> dict[str, int]:
        """How many steps each source answered."""
        counts = {"measured": 0, "interpolated": 0, "floor": 0}
        for layer in self.layers:
            counts[layer.source] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "predicted_ms": self.predicted_ms, "floor_ms": self.floor_ms, "impl": self.impl, "plan": self.plan,
            "hw": self.hw, "batch": self.batch, "plans_ms": dict(self.plans_ms), "block_factor": self.block_factor,
            "layers": [layer.as_dict() for layer in self.layers],
            "accuracy": accuracy_dict(self.accuracy),
        }


def accuracy_dict(accuracy: LatencyAccuracy | None) -> dict[str, Any] | None:
    """The accuracy record as JSON, with its one-line description."""
    if accuracy is None:
        return None
    from dataclasses import asdict

    return {**asdict(accuracy), "text": accuracy.describe()}


def accuracy_text(accuracy: LatencyAccuracy | None) -> str:
    """What every printed prediction says about how far to trust it."""
    if accuracy is None:
        return "the model's error has not been measured on this machine (run benchmarks/bench_latency_model.py)"
    return accuracy.describe()


def default_profile(threads: int | None = None, dtype: str = "float32") -> Profile:
    """This machine's profile (torch's default threads unless given); IGCError saying to run
    `igcdesign calibrate` when there is none."""
    from igcdesign.profile import find_default_profile

    lookup = find_default_profile("cpu", threads, dtype)
    if lookup.profile is None:
        raise IGCError(lookup.message)
    return lookup.profile


_MODELS: dict[int, tuple[Profile, LayerModel]] = {}


def layer_model(profile: Profile) -> LayerModel:
    """The indexed layer table of `profile`, built once per profile object."""
    held = _MODELS.get(id(profile))
    if held is not None and held[0] is profile:
        return held[1]
    if len(_MODELS) > 8:
        _MODELS.clear()
    model = LayerModel(profile)
    _MODELS[id(profile)] = (profile, model)
    return model


def refuse_units(specs: Iterable[Any]) -> None:
    """IGCError naming the first unit spec (``shufflenetv2-unit:C=116``, igcdesign.nets.unitspecs)
    among `specs`: the layer table prices the steps of one chain, and a unit's second path, split
    or join is none; ``probe`` measures units."""
    from igcdesign.nets.unitspecs import is_unit_spec

    for spec in specs:
        if is_unit_spec(spec):
            raise IGCError(f"latency predicts blocks (one chain of layers); {shown(str(spec).strip())} is a unit "
                           "with a second path, split or join: measure it with `igcdesign probe`")


def check_sizes(hw: int, batch: int, impl: str) -> None:
    """IGCError (one line) for a map side, batch or implementation out of bounds."""
    from igcdesign.validate import check_hw

    for value, name in ((hw, "hw"), (batch, "batch")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise IGCError(f"{name} must be an integer, got {shown(repr(value))}")
    check_hw(hw)
    if not 1 <= batch <= MAX_BATCH:
        raise IGCError(f"--batch must be between 1 and {MAX_BATCH:,}, got {batch}")
    if impl not in IMPLS:
        raise IGCError(f"--impl must be one of {', '.join(IMPLS)}, got '{shown(impl)}'")


def plans_of(impl: str) -> tuple[str, ...]:
    return PLANS if impl == "fast" else ("plain",)


def block_factor(profile: Profile, family: str) -> float:
    """The family's block factor on this profile (module docstring): the median of its measured
    ratios, 1 where none was measured."""
    import statistics

    ratios = profile.block_factors.get(family)
    return statistics.median(ratios) if ratios else 1.0


def predict(block: Any, *, hw: int = 32, batch: int = 1, impl: str = "fast",
            profile: Profile | None = None, composed: bool = True) -> Prediction:
    """The predicted latency of one block (a spec string or a Block) on a batch of hw×hw input
    maps, in `impl` ('fast' or 'plain'), on `profile` (default: this machine's, see
    :func:`default_profile`). No torch, nothing measured; IGCError for bad sizes or no profile.
    `composed=False` leaves out the block factor (the bare sum of the steps)."""
    from igcdesign.families import as_block

    check_sizes(hw, batch, impl)
    made = as_block(block)
    chain = made.chain
    profile = profile if profile is not None else default_profile()
    model = layer_model(profile)
    factor = block_factor(profile, made.family) if composed else 1.0
    memo = (chain, hw, batch, impl, factor)
    found = model.predictions.get(memo)
    if found is not None:
        return found
    best = None
    plans_ms = {}
    for plan in plans_of(impl):
        steps = plan_steps(chain, plan, hw, batch)
        layers = tuple(_costed(model, planned, batch, profile) for planned in steps)
        total = sum(layer.predicted_ms for layer in layers) * factor
        total = max(total, sum(layer.floor_ms for layer in layers))
        plans_ms[plan] = total
        # a step the table knows nothing of is costed at its floor: its plan only wins among such plans
        rank = (any(layer.source == "floor" for layer in layers), total)
        if best is None or rank < best[0]:
            best = (rank, plan, layers)
    (_, total), plan, layers = best
    result = Prediction(
        predicted_ms=total, floor_ms=sum(layer.floor_ms for layer in layers), layers=layers,
        accuracy=profile.latency_accuracy, impl=impl, plan=plan, hw=hw, batch=batch, plans_ms=plans_ms,
        block_factor=factor,
    )
    if len(model.predictions) > 200_000:
        model.predictions.clear()
    model.predictions[memo] = result
    return result


def _costed(model: LayerModel, planned: PlannedStep, batch: int, profile: Profile) -> LayerPrediction:
    memo = (planned.step, planned.layers, planned.name)
    found = model.layers.get(memo)
    if found is None:
        floor_s = chain_floor_s(planned.layers, batch, profile, model.dtype)
        estimate = model.estimate(planned.step, floor_s)
        found = LayerPrediction(planned.name, planned.step.key, estimate.predicted_s * 1e3, floor_s * 1e3, estimate.source)
        model.layers[memo] = found
    return found


def predict_total(blocks: Iterable[Any], *, hw: int = 32, batch: int = 1, impl: str = "fast",
                  profile: Profile | None = None) -> float:
    """The predicted milliseconds of a sequence of blocks run one after another (a network's body):
    the sum of their predictions."""
    profile = profile if profile is not None else default_profile()
    return sum(predict(block, hw=hw, batch=batch, impl=impl, profile=profile).predicted_ms for block in blocks)


def steps_of(block: Any, *, hw: int, batch: int, impl: str = "fast") -> list[Step]:
    """Every distinct step that predicting `block` costs (all plans for 'fast'), in order:
    what :func:`igcdesign.probe.layer_latency.measure_missing` measures."""
    from igcdesign.families import as_block

    check_sizes(hw, batch, impl)
    chain = as_block(block).chain
    seen: dict[Step, None] = {}
    for plan in plans_of(impl):
        for planned in plan_steps(chain, plan, hw, batch):
            seen.setdefault(planned.step, None)
    return list(seen)


__all__ = ["IMPLS", "LayerPrediction", "Prediction", "accuracy_text", "block_factor", "default_profile", "predict",
           "predict_total", "steps_of"]
