"""Drop-in replacements: every block that maps the same channels as a given conv, within its weights.

:func:`candidates` lists, for cin → cout channels with a k×k spatial conv, every configuration of
every family that offers one (``Family.same_width_configs``: the regular conv, the
depthwise-separable unit, IGCV1 with L·M = C, IGCV2 chains with ∏K = C, IGCV3 over t, G1, G2,
MobileNetV2 over t, ShuffleNet V1 over g) that `check` accepts (strict or relaxed) and that has
at most `max_params` weights. Chains that are the same layers under two families' names
(IGCV2 K=1xC is the depthwise-separable unit) are listed once, under the first family.

Candidates are ranked widest first, by the widest map inside the block (IGCV3's t·C; the others'
is C itself), ties by fewer params, then fewer mult_adds and the spec; with a machine profile
they are ranked by the latency :mod:`igcdesign.latency` predicts, fastest first. Plain Python, no
torch: the prediction reads the profile's stored layer times and never measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from igcdesign.errors import IGCError
from igcdesign.families.block import Block
from igcdesign.layers import GroupConv, convs, layer_sides

MAX_CONFIGS = 20_000  # configurations weighed in one call (C = 64 within a 3×3 conv's weights: ~1,000)
MAX_CHANNELS = 1 << 16


@dataclass(frozen=True)
class Candidate:
    """One drop-in block: the Block, its family, weights, mult_adds on the hw×hw map, its widest
    internal map (`width`) and, with a profile, the predicted latency in ms at `batch`."""

    block: Block
    family: str
    params: int
    mult_adds: int
    width: int
    verdict: str
    predicted_ms: float | None = None
    batch: int | None = None

    @property
    def spec(self) -> str:
        return self.block.spec

    def as_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "family": self.family, "params": self.params, "mult_adds": self.mult_adds,
                "width": self.width, "verdict": self.verdict, "predicted_ms": self.predicted_ms,
                "batch": self.batch}


def replacement_families() -> list[str]:
    """Families that offer drop-in configurations, in the registry's order."""
    from igcdesign.families import FAMILIES
    from igcdesign.families.base import Family

    return [name for name, fam in FAMILIES.items()
            if type(fam).same_width_configs is not Family.same_width_configs]


def chosen_families(families: Iterable[str] | str | None) -> list[str]:
    """The families asked for (None: all that offer replacements); IGCError naming the known ones."""
    from igcdesign.families import named_families

    known = replacement_families()
    return known if families is None else named_families(families, known, " for replacements")


def _layer_key(layer) -> tuple:
    if isinstance(layer, GroupConv):
        return ("conv", layer.cin, layer.cout, layer.groups, layer.k, layer.stride)
    return ("permute", layer.width, layer.groups, layer.perm)


def widest_map(chain: Sequence) -> int:
    """The most channels any layer of the chain holds (IGCV3: t·C)."""
    return max(max(conv.cin, conv.cout) for conv in convs(chain))


def candidates(cin: int, cout: int, *, stride: int = 1, k: int = 3, max_params: int, hw: int = 56,
               families: Iterable[str] | str | None = None, profile=None, batch: int = 1,
               impl: str = "fast") -> list[Candidate]:
    """Every `check`-accepted block of the chosen families mapping cin → cout channels with a
    k×k spatial conv of `stride`, with at most `max_params` weights, ranked widest first (with
    a machine `profile`: by the latency predicted at hw and `batch`, fastest first).

    IGCError for sizes out of range, and when more than MAX_CONFIGS configurations would be
    weighed (narrow `families` or lower `max_params`)."""
    from igcdesign.families import FAMILIES
    from igcdesign.validate import check_hw, check_kernel
    from igcdesign.verdicts import ACCEPTED, block_verdict

    for value, what in ((cin, "input channels"), (cout, "output channels")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CHANNELS:
            raise IGCError(f"{what} must be a whole number between 1 and {MAX_CHANNELS:,}, got {value!r}")
    if isinstance(max_params, bool) or not isinstance(max_params, int) or max_params < 1:
        raise IGCError(f"max_params must be a positive integer, got {max_params!r}")
    check_kernel(k)
    check_hw(hw)
    if isinstance(stride, bool) or not isinstance(stride, int) or not 1 <= stride <= hw:
        raise IGCError(f"stride must be a whole number between 1 and the map side {hw:,}, got {stride!r}")
    configs = []
    for name in chosen_families(families):
        if stride != 1 and FAMILIES[name].stride_conv is None:
            continue  # a family whose s= is not one stride (chain: one per conv) has no configs here
        for config in FAMILIES[name].same_width_configs(cin, cout, k, max_params):
            if stride != 1:
                config = {**config, "s": stride}
            configs.append((name, config))
            if len(configs) > MAX_CONFIGS:
                raise IGCError(f"more than {MAX_CONFIGS:,} configurations map {cin:,} → {cout:,} channels within "
                               f"{max_params:,} params; ask for fewer families or a smaller budget")
    seen: set[tuple] = set()
    found: list[Candidate] = []
    for name, config in configs:
        fam = FAMILIES[name]
        block = fam.make(**config)
        key = tuple(_layer_key(layer) for layer in block.chain)
        if key in seen:
            continue
        seen.add(key)
        verdict = block_verdict(fam, block.config).verdict
        if verdict in ACCEPTED:
            mult_adds = sum(layer.mult_adds(out * out) for layer, _, out in layer_sides(block.chain, hw))
            found.append(Candidate(block, name, block.params(), mult_adds, widest_map(block.chain), verdict))
    if profile is not None:
        found = predicted(found, hw=hw, batch=batch, impl=impl, profile=profile)
        return sorted(found, key=lambda c: (c.predicted_ms, -c.width, c.params, c.spec))
    return sorted(found, key=lambda c: (-c.width, c.params, c.mult_adds, c.spec))


def predicted(found: Sequence[Candidate], *, hw: int, batch: int, impl: str, profile) -> list[Candidate]:
    """The candidates with the latency igcdesign.latency predicts on `profile` at hw and batch."""
    from dataclasses import replace

    from igcdesign.latency import predict

    return [replace(c, predicted_ms=predict(c.block, hw=hw, batch=batch, impl=impl, profile=profile).predicted_ms,
                    batch=batch) for c in found]


MAX_TOP = 100  # rows per ranking (and blocks measured with --measure)


def budget_of(block: Block, max_params: int | str | None) -> tuple[int, str]:
    """The weight budget: 'same' (or None) = the block's own params, else a count ('20k', 30000)."""
    from igcdesign.numbers import parse_count

    if max_params is None or (isinstance(max_params, str) and max_params.strip().lower() == "same"):
        return block.params(), "same"
    if isinstance(max_params, bool) or not isinstance(max_params, (int, str)):
        raise IGCError(f"--max-params must be 'same' or a parameter count, got {type(max_params).__name__}")
    return parse_count(str(max_params), "--max-params"), "given"


def shape_of(block: Block) -> tuple[int, int, int, int]:
    """(cin, cout, k, stride) a drop-in must match: the first conv's input, the last conv's
    output, the largest kernel, the product of the convs' strides."""
    layers = convs(block.chain)
    stride = 1
    for conv in layers:
        stride *= getattr(conv, "stride", 1)
    return layers[0].cin, layers[-1].cout, max(conv.k for conv in layers), stride


def report(spec: "str | Block", *, hw: int = 56, batches: Sequence[int] = (1,), max_params: int | str | None = "same",
           top: int = 10, families: Iterable[str] | str | None = None, profile=None, impl: str = "fast") -> dict[str, Any]:
    """What `igcdesign replace` answers, as one document: every drop-in for `spec`
    (:func:`candidates`), the `top` widest, and with a profile the `top` fastest by predicted
    latency at the first batch, each candidate predicted at every batch with its ratio to the
    spec's own prediction. Torch-free; measuring is the caller's (the command's --measure)."""
    from igcdesign.families import as_block
    from igcdesign.validate import check_hw

    block = as_block(spec)
    check_hw(hw)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_TOP:
        raise IGCError(f"--top must be between 1 and {MAX_TOP}, got {top!r}")
    batches = tuple(batches)
    budget, source = budget_of(block, max_params)
    cin, cout, k, stride = shape_of(block)
    found = candidates(cin, cout, stride=stride, k=k, max_params=budget, hw=hw, families=families)
    rows = {c.spec: {**c.as_dict(), "is_spec": _same_chain(c.block, block)} for c in found}
    doc: dict[str, Any] = {
        "spec": block.spec, "cin": cin, "cout": cout, "kernel": k, "stride": stride, "hw": hw,
        "batches": list(batches), "max_params": budget, "max_params_from": source,
        "spec_params": block.params(), "families": chosen_families(families), "count": len(found),
        "profile": None, "accuracy": None,
    }
    by_width = [rows[c.spec] for c in found[:top]]
    doc["by_width"] = by_width
    doc["by_latency"] = None
    if profile is None:
        return doc
    from igcdesign.latency import accuracy_text, predict

    doc["profile"] = profile.fingerprint.describe()
    doc["accuracy"] = accuracy_text(profile.latency_accuracy)
    own = {b: predict(block, hw=hw, batch=b, impl=impl, profile=profile).predicted_ms for b in batches}
    doc["spec_predicted"] = [{"batch": b, "predicted_ms": own[b]} for b in batches]
    first = batches[0]
    times: dict[str, float] = {}
    for c in found:
        predicted_rows = []
        for b in batches:
            ms = predict(c.block, hw=hw, batch=b, impl=impl, profile=profile).predicted_ms
            predicted_rows.append({"batch": b, "predicted_ms": ms, "ratio_to_spec": ms / own[b]})
            if b == first:
                times[c.spec] = ms
        rows[c.spec]["predicted"] = predicted_rows
        rows[c.spec]["predicted_ms"] = times[c.spec]
        rows[c.spec]["batch"] = first
    fastest = sorted(found, key=lambda c: (times[c.spec], -c.width, c.params, c.spec))
    doc["by_latency"] = [rows[c.spec] for c in fastest[:top]]
    return doc


def _same_chain(a: Block, b: Block) -> bool:
    return tuple(map(_layer_key, a.chain)) == tuple(map(_layer_key, b.chain))
