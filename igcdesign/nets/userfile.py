"""Users' own networks: a YAML or JSON file of stages, validated with one-line errors.

Format (YAML shown; the same keys in JSON)::

    name: my-igc-net        # optional; default: the file name
    resolution: 32          # native input side (default 224)
    classes: 10             # default classes (default 1000)
    in_channels: 3          # default 3
    fc_bias: true           # whether the classifier has a bias (default true)
    stem: {width: 32, k: 3, stride: 1}     # optional conv + BN + ReLU; also groups: g, act: relu6 (ReLU6
                            # in place of the ReLU), pool: max|avg
                            # (3×3, stride 2, padding 1) or pool: {kind: max|avg, k: 3, stride: 2,
                            # padding: 1, ceil_mode: false} (padding at most k // 2, as torch)
    stages:                 # at least one
      - block: "igcv1:L=4,M=8"   # any block spec (docs/conventions.md §3), without s= (the stage's stride),
                                 # or a unit spec (below)
        repeats: 2               # default 1
        stride: 1                # stride of the stage's first block (default 1)
        width: 32                # output channels (default: the spec's width)
        shortcut: false          # true: identity where stride 1 and width in = out; projection: also a
                                 # 1×1 conv with the stride + BN where it changes (default false)
        pool: max                # optional: a pool after the stage's last block (as the stem's)
        norm: block              # block: one BN + ReLU after the block; conv: BN after every conv,
                                 # ReLU between them and after the block (or its shortcut);
                                 # [n1, n2, ...]: as conv, a BN after n1 convs, after n2 more, ...
                                 # (an IGC block in place of each conv of a ResNet unit: igcify)
        act: relu                # relu6: ReLU6 wherever the stage puts a ReLU (default relu; not
                                 # beside igcv3, mobilenetv2 or a unit spec, whose activations are fixed);
                                 # with norm conv or a list, also a list: the activation after each
                                 # BN (relu, relu6 or none), the last one after the block (after the
                                 # addition with a shortcut): [relu6, relu6, none] is a linear bottleneck
    head: {width: 1280}     # optional 1×1 conv + BN + ReLU before the pool; also act: relu6

How `width` and the stage's input width enter the block:

- regular, dwsep, igcv2: ``C = width``; igcv1: ``M = width / L`` (L fixed, as in the paper's
  layout). The stage's first block takes the previous width through its first (spatial) conv,
  the CIFAR layouts' down-sampling rule (see :func:`~igcdesign.nets.model.widen_first_conv`).
- igcv3, mobilenetv2: ``C`` = the block's input width, ``Cout = width`` (the family takes both).
- chain: used as written; ``W`` must start at the width it receives and end at ``width``.
- A value the block spec states and the stage contradicts (igcv1 ``M`` with ``L·M ≠ width``,
  ``C ≠ width``, igcv3's ``C`` ≠ the width the stage receives, ``Cout ≠ width``) is an error naming the
  stage, never silently replaced: leave such keys out of the spec to let the stage set them.

Units with a second path, a split or a concat (:mod:`igcdesign.nets.unitspecs`:
``shufflenetv2-unit``, ``shufflenetv1-unit:g=3``, ``resnet-unit``, ``resnet-bottleneck:mid=128,G=32``)
are written as the stage's block, without ``Cin``, ``C`` and ``s``: the stage's first unit
takes the width the stage receives (``Cin``) and the stage's stride (``s``, 1 or 2), every unit
gives ``C = width`` (default: the spec's ``C``), so ``{block: shufflenetv2-unit, repeats: 4,
stride: 2, width: 116}`` is ShuffleNet V2's first stage (a down-sampling unit, then three that
split). A unit brings its own shortcut, BN and activations: ``shortcut``, ``norm`` and ``act`` are
refused beside it; ``Cin`` or ``C`` stated in the spec must agree with the stage. ShuffleNet V1's
network starts with a unit whose first conv has one group: ``shufflenetv1-unit:g=3,g1=1``.

Bounds, checked before the blocks are built: a regular file of at most 256 KiB, 65,536 values
with YAML aliases expanded, 256 stages, 4,096 repeats per stage, 4,096 blocks and 65,536 convs
in the network.

BN and activation: igcv3/mobilenetv2 blocks follow the inverted-bottleneck layout (BN after each
conv, ReLU6 after the channel-wise conv, and after the expansion for mobilenetv2); every other
block is followed by one BN and a ReLU (the IGCV1 CIFAR layout), or with ``norm: conv`` by a BN
after every conv and a ReLU between the convs and after the block (after the addition when it
has a shortcut, as ResNet). The stride sits on the block's first k×k conv (k > 1), or on its
first conv when all are 1×1; the stem's pool is 3×3 with stride 2 and padding 1.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from igcdesign.errors import SpecError, shown
from igcdesign.families import get_family
from igcdesign.nets.model import (Network, Pool, Segment, Stage, Unit, conv_unit, note, split_at_convs, widen_first_conv,
                                  with_stride)
from igcdesign.families.block import Block
from igcdesign.nets.residual import projection
from igcdesign.nets.unitspecs import UNIT_SPECS, is_unit_spec
from igcdesign.nets.values import MAX_BLOCKS
from igcdesign.spec import parse_int, split_spec

SUFFIXES = (".yaml", ".yml", ".json")
TOP_KEYS = ("name", "resolution", "classes", "in_channels", "fc_bias", "stem", "stages", "head")
STAGE_KEYS = ("block", "repeats", "stride", "width", "shortcut", "norm", "act", "pool")
ACTS = ("relu", "relu6")
STEM_POOLS = ("max", "avg")
POOL_KEYS = ("kind", "k", "stride", "padding", "ceil_mode")
MAX_VALUE = 1 << 24
MAX_REPEATS = 1 << 12
MAX_BYTES = 1 << 18  # a stage file is a few KB; 256 KiB holds thousands of stage lines
MAX_NODES = 1 << 16  # values in the document, YAML aliases expanded
MAX_STAGES = 256
MAX_NAME = 256
MAX_INT_DIGITS = 19
MAX_NET_CONVS = 1 << 16  # convs of a whole network


def looks_like_file(text: str) -> bool:
    """A NETSPEC names a file when it ends in .yaml/.yml/.json or is an existing file."""
    text = text.strip()
    return text.lower().endswith(SUFFIXES) or (":" not in text and Path(text).is_file())


def load_document(path: Path) -> Any:
    """The parsed YAML/JSON document, or SpecError with one line.

    Bounded before any work: a regular file of at most MAX_BYTES (no device, FIFO or directory),
    at most MAX_NODES values once YAML aliases are expanded (a 'billion laughs' of aliases is
    refused from the composed node graph, without building it), integers of at most 19 digits,
    no deep nesting.
    """
    from igcdesign.errors import IGCError
    from igcdesign.files import load_json, read_user_text

    where = shown(path)
    if not path.exists():
        raise SpecError(f"network file '{where}' not found")
    try:
        text = read_user_text(path, "network file", MAX_BYTES)
        if path.suffix.lower() == ".json":
            return load_json(text, where)
    except SpecError:
        raise
    except IGCError as e:
        raise SpecError(str(e)) from None
    return _load_yaml(text, where)


class LongInteger:
    """A YAML integer of more than MAX_INT_DIGITS digits, left unconverted (int() of 4,300+
    digits raises, and no field takes one): the field that reads it refuses it by name."""

    def __init__(self, digits: int):
        self.digits = digits

    def __repr__(self) -> str:
        return f"an integer of {self.digits:,} digits (at most {MAX_INT_DIGITS})"


def _yaml_loader():
    """PyYAML's safe loader (libyaml's when installed) whose integers are checked before int()."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    def integer(loader, node):
        digits = sum(ch.isdigit() for ch in str(node.value))
        if digits > MAX_INT_DIGITS:  # kept unconverted, so that the field's check can name the field
            return LongInteger(digits)
        return yaml.SafeLoader.construct_yaml_int(loader, node)

    Loader.add_constructor("tag:yaml.org,2002:int", integer)
    return Loader


def expanded_size(root, limit: int) -> int:
    """Values a YAML node graph holds once every alias is expanded (aliases share node objects),
    counted without expanding it: each distinct node once, children first. SpecError when the
    count passes `limit` or the graph refers to itself."""
    import yaml

    size: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        children = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if children_done:
            open_nodes.discard(key)
            size[key] = total = 1 + sum(size[id(c)] for c in children)
            if total > limit:
                raise SpecError(f"more than {limit:,} values once YAML aliases are expanded")
            continue
        if key in open_nodes:
            raise SpecError("a YAML alias refers to itself")
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise SpecError("a YAML alias refers to itself")
            if id(child) not in size:
                stack.append((child, False))
    return size[id(root)]


def _load_yaml(text: str, where: str) -> Any:
    import yaml

    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded_size(node, MAX_NODES)
        return loader.construct_document(node)
    except SpecError as e:
        raise SpecError(f"{where}: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "syntax error"
        raise SpecError(f"{where}: invalid YAML{at}: {shown(problem)}") from None
    except RecursionError:
        raise SpecError(f"{where}: nested too deeply") from None
    finally:
        loader.dispose()


def _int(value: Any, what: str, *, low: int = 1, high: int = MAX_VALUE) -> int:
    if isinstance(value, LongInteger):
        raise SpecError(f"{what}: {value!r}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{what} must be an integer, got {shown(repr(value))}")
    if not low <= value <= high:
        raise SpecError(f"{what} must be between {low} and {high}, got {value}")
    return value


def _mapping(value: Any, what: str, keys: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"{what} must be a mapping of {', '.join(keys)}")
    for key in value:
        if key not in keys:
            raise SpecError(f"{what}: unknown key '{shown(key)}' (known: {', '.join(keys)})")
    return value


def load_network(text: str) -> Network:
    """The network a YAML/JSON stage file describes (see the module docstring)."""
    path = Path(text.strip())
    return network_from_document(load_document(path), shown(path), path.name)


def network_from_document(doc: Any, where: str, default_name: str = "network") -> Network:
    """The network of a parsed stage-file document (`where` names it in errors); SpecError (one
    line) for anything the module docstring does not allow."""
    doc = _mapping(doc, where, TOP_KEYS)
    name = doc.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{where}: name must be a non-empty string")
    if len(name) > MAX_NAME:
        raise SpecError(f"{where}: name has {len(name):,} characters, at most {MAX_NAME}")
    resolution = _int(doc.get("resolution", 224), f"{where}: resolution", high=1 << 16)
    classes = _int(doc.get("classes", 1000), f"{where}: classes")
    in_channels = cin = _int(doc.get("in_channels", 3), f"{where}: in_channels")
    fc_bias = doc.get("fc_bias", True)
    if not isinstance(fc_bias, bool):
        raise SpecError(f"{where}: fc_bias must be true or false")
    stages: list[Stage] = []
    if "stem" in doc:
        stem = _mapping(doc["stem"], f"{where}: stem", ("width", "k", "stride", "groups", "act", "pool"))
        if "width" not in stem:
            raise SpecError(f"{where}: stem needs a width")
        width = _int(stem["width"], f"{where}: stem width")
        k = _odd_kernel(stem.get("k", 3), f"{where}: stem k")
        stride = _int(stem.get("stride", 1), f"{where}: stem stride", high=64)
        groups = _int(stem.get("groups", 1), f"{where}: stem groups")
        pool = _pool(stem["pool"], f"{where}: stem pool") if "pool" in stem else None
        act = _act(stem.get("act", "relu"), f"{where}: stem act")
        stages.append(Stage("stem", (conv_unit("stem", cin, width, k, stride, act, groups=groups, pool=pool),)))
        cin = width
    raw_stages = doc.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        raise SpecError(f"{where}: stages must be a non-empty list")
    if len(raw_stages) > MAX_STAGES:
        raise SpecError(f"{where}: {len(raw_stages):,} stages, at most {MAX_STAGES}")
    budget = Budget(where)
    for i, raw in enumerate(raw_stages):
        stage = _stage(raw, cin, f"{where}: stage {i + 1}", f"stage {i + 1}", budget)
        stages.append(stage)
        cin = stage.cout
    if "head" in doc:
        head = _mapping(doc["head"], f"{where}: head", ("width", "act"))
        if "width" not in head:
            raise SpecError(f"{where}: head needs a width")
        width = _int(head["width"], f"{where}: head width")
        act = _act(head.get("act", "relu"), f"{where}: head act")
        stages.append(Stage("head", (conv_unit("head conv", cin, width, 1, 1, act),)))
    return Network(name.strip(), "file", tuple(stages), resolution, classes, in_channels=in_channels, fc_bias=fc_bias)


def _stage_act(value: Any, norm: Any, what: str) -> str | tuple[str, ...]:
    """A stage's act: relu or relu6, or (beside norm conv or a list) a list of relu, relu6, none."""
    if not isinstance(value, list):
        return _act(value, what)
    if norm == "block":
        raise SpecError(f"{what}: a list of activations needs norm: conv or a list of convs per BN")
    if not value or len(value) > MAX_NET_CONVS:
        raise SpecError(f"{what}: give one activation per BN (relu, relu6 or none)")
    out = []
    for entry in value:
        if not isinstance(entry, str) or entry not in (*ACTS, "none"):
            raise SpecError(f"{what} entries must be relu, relu6 or none")
        out.append(entry)
    return tuple(out)


def _none(act: str) -> str | None:
    return None if act == "none" else act


def _act(value: Any, what: str) -> str:
    if not isinstance(value, str) or value not in ACTS:
        raise SpecError(f"{what} must be {' or '.join(ACTS)}")
    return value


def _pool(value: Any, what: str) -> Pool:
    """`max` or `avg` (3×3, stride 2, padding 1), or a mapping of kind, k, stride, padding, ceil_mode."""
    if isinstance(value, str) and value in STEM_POOLS:
        return Pool(value, 3, 2, 1)
    if not isinstance(value, dict):
        raise SpecError(f"{what} must be max or avg, or a mapping of {', '.join(POOL_KEYS)}")
    value = _mapping(value, what, POOL_KEYS)
    kind = value.get("kind")
    if kind not in STEM_POOLS:
        raise SpecError(f"{what} kind must be max or avg")
    k = _int(value.get("k", 3), f"{what} k", high=63)
    stride = _int(value.get("stride", 2), f"{what} stride", high=64)
    padding = _int(value.get("padding", k // 2), f"{what} padding", low=0, high=k // 2)  # torch's bound
    ceil_mode = value.get("ceil_mode", False)
    if not isinstance(ceil_mode, bool):
        raise SpecError(f"{what} ceil_mode must be true or false")
    return Pool(kind, k, stride, padding, ceil_mode)


def _odd_kernel(value: Any, what: str) -> int:
    k = _int(value, what, high=63)
    if k % 2 == 0:
        raise SpecError(f"{what}: network kernels must be odd (same padding), got {k}")
    return k


class Budget:
    """Blocks and convs of a whole network, counted as stages are built: refused past the bounds
    before the next stage's blocks are made, so work and memory stay linear in what is accepted."""

    def __init__(self, where: str) -> None:
        self.where, self.blocks, self.convs = where, 0, 0

    def take(self, blocks: int, convs_per_block: int) -> None:
        self.blocks += blocks
        self.convs += blocks * convs_per_block
        if self.blocks > MAX_BLOCKS:
            raise SpecError(f"{self.where}: more than {MAX_BLOCKS:,} blocks in the network")
        if self.convs > MAX_NET_CONVS:
            raise SpecError(f"{self.where}: more than {MAX_NET_CONVS:,} convs in the network")


def _stage(raw: Any, cin: int, what: str, label: str, budget: Budget | None = None) -> Stage:
    raw = _mapping(raw, what, STAGE_KEYS)
    if not isinstance(raw.get("block"), str):
        raise SpecError(f"{what}: needs block: a block spec string (e.g. igcv1:L=4,M=8)")
    repeats = _int(raw.get("repeats", 1), f"{what} repeats", high=MAX_REPEATS)
    stride = _int(raw.get("stride", 1), f"{what} stride", high=64)
    width = _int(raw["width"], f"{what} width") if "width" in raw else None
    pool = _pool(raw["pool"], f"{what} pool") if "pool" in raw else None
    if is_unit_spec(raw["block"]):
        stage = _unit_stage(raw, cin, repeats, stride, width, what, label, budget or Budget(what))
    else:
        stage = _block_stage(raw, cin, repeats, stride, width, what, label, budget or Budget(what))
    if pool is None:
        return stage
    return Stage(stage.name, (*stage.units[:-1], dataclasses.replace(stage.units[-1], pool=pool)))


def _block_stage(raw: dict, cin: int, repeats: int, stride: int, width: int | None, what: str, label: str,
                 budget: Budget) -> Stage:
    shortcut = raw.get("shortcut", False)
    if not (isinstance(shortcut, bool) or shortcut == "projection"):  # 1 is not true here
        raise SpecError(f"{what} shortcut must be true or false, or projection")
    norm = _norm(raw.get("norm", "block"), f"{what} norm")
    act = _stage_act(raw.get("act", "relu"), norm, f"{what} act")
    family_name, items = split_spec(raw["block"])
    family = get_family(family_name)
    if norm != "block" and family.name in ("igcv3", "mobilenetv2"):
        raise SpecError(f"{what}: {family.name} blocks already have a BN after every conv (leave norm out)")
    if "act" in raw and family.name in ("igcv3", "mobilenetv2"):
        raise SpecError(f"{what}: {family.name} blocks have their own activations (leave act out)")
    units = []
    made: dict[tuple[int, int | None], tuple] = {}  # blocks receiving the same input are built once
    for j in range(repeats):
        block_what = f"{what} block {j + 1}"
        key = (cin, width)
        if key not in made:
            try:
                block, chain = _block(family, dict(items), cin, width, block_what, first=j == 0)
            except SpecError as e:
                message = str(e)
                raise SpecError(message if message.startswith(what) else f"{block_what}: {message}") from None
            for conv in chain:
                if getattr(conv, "k", 1) % 2 == 0:
                    raise SpecError(f"{block_what}: network kernels must be odd (same padding), got k={conv.k}")
            made[key] = block, chain, sum(1 for layer in chain if hasattr(layer, "cout"))
        block, chain, convs = made[key]
        if any(getattr(layer, "stride", 1) != 1 for layer in chain):
            raise SpecError(f"{block_what}: give the stride as the stage's stride, not s= in the block spec")
        budget.take(1, convs)
        s = stride if j == 0 else 1
        chain = with_stride(chain, s)
        cout = [layer for layer in chain if hasattr(layer, "cout")][-1].cout
        widened = family.name not in ("igcv3", "mobilenetv2", "chain")
        unit_note = note(s, cin, cout) if widened else note(s)
        identity_fits = s == 1 and cin == cout
        side = projection(cin, cout, s) if shortcut == "projection" and not identity_fits else None
        segments = _segments(family.name, chain, act) if norm == "block" else _conv_segments(chain, norm, block_what, act)
        if side is not None:
            unit_note = ", ".join(part for part in (unit_note, "projection shortcut") if part)
        units.append(Unit(f"{label} block {j + 1}", block.spec, segments, bool(shortcut) and identity_fits, unit_note,
                          side=side, act=None if norm == "block" else _none(act if isinstance(act, str) else act[-1])))
        cin = cout
        width = cout if width is None else width
    return Stage(label, tuple(units))


def _unit_stage(raw: dict, cin: int, repeats: int, stride: int, width: int | None, what: str, label: str,
                budget: Budget) -> Stage:
    """A stage of `repeats` units of a unit spec (igcdesign.nets.unitspecs): the first takes the
    stage's input width (``Cin``) and its stride (``s``), the others keep ``C = width``."""
    for key in ("shortcut", "norm", "act"):
        if key in raw:
            own = "activations" if key == "act" else "shortcut and BN"
            raise SpecError(f"{what}: a unit spec brings its own {own} (leave {key} out)")
    family, items = split_spec(raw["block"])
    spec = shown(raw["block"].strip())
    if "s" in items:
        raise SpecError(f"{what}: give the stride as the stage's stride, not s= in the unit spec")
    if stride > 2:
        raise SpecError(f"{what} stride: a unit takes stride 1 or 2, got {stride}")
    C, Cin = _stated(items, "C", family), _stated(items, "Cin", family)
    if C is not None and width is not None and C != width:
        raise SpecError(f"{what}: unit {spec} says C={C} but the stage width is {width}")
    width = width if width is not None else C
    if width is None:
        raise SpecError(f"{what}: give the stage a width (or C= in the unit spec {spec})")
    if Cin is not None and Cin != cin:
        raise SpecError(f"{what}: unit {spec} says Cin={Cin} but the stage receives {cin} channels")
    units = []
    made: dict[tuple[int, int], Unit] = {}  # units receiving the same input are built once
    for j in range(repeats):
        s = stride if j == 0 else 1
        if (cin, s) not in made:
            try:
                _, unit = UNIT_SPECS[family]({**items, "Cin": str(cin), "C": str(width), "s": str(s)})
            except SpecError as e:
                raise SpecError(f"{what} unit {j + 1}: {e}") from None
            made[cin, s] = unit
        unit = made[cin, s]
        side = unit.side.layers if unit.side is not None else ()
        budget.take(1, sum(1 for layer in unit.layers + side if hasattr(layer, "cout")))
        units.append(dataclasses.replace(unit, name=f"{label} unit {j + 1}"))
        cin = unit.cout
    return Stage(label, tuple(units))


def _stated(items: dict[str, str], key: str, family: str) -> int | None:
    return parse_int(items[key], f"{family} {key}") if key in items else None


def _block(family, items: dict[str, str], cin: int, width: int | None, what: str, first: bool = True) -> tuple[Block, tuple]:
    """The stage's block for an input of `cin` channels, and its chain adapted to that input.

    A value the block spec states and the stage contradicts (its input width, its `width`) is an
    error naming the stage, never silently replaced.
    """
    name = family.name
    spec = shown(family.name + ":" + ",".join(f"{k}={v}" for k, v in items.items()))
    if name in ("igcv3", "mobilenetv2"):
        C, Cout = _stated(items, "C", name), _stated(items, "Cout", name)
        if C is not None and C != cin and first:  # C names the stage's input; later blocks get `width`
            raise SpecError(f"{what}: block {spec} says C={C} but the stage receives {cin} channels")
        if Cout is not None and width is not None and Cout != width:
            raise SpecError(f"{what}: block {spec} says Cout={Cout} but the stage width is {width}")
        items["C"] = str(cin)
        if width is not None:
            items["Cout"] = str(width)
        block = family.block(family.parse(items))
        return block, block.chain
    if name == "chain":
        block = family.block(family.parse(items))
        W = block.config["W"]
        if W[0] != cin:
            raise SpecError(f"{what}: chain W starts at {W[0]} channels but receives {cin}")
        if width is not None and W[-1] != width:
            raise SpecError(f"{what}: chain W ends at {W[-1]} channels, not the stage width {width}")
        return block, block.chain
    if width is not None:
        if name == "igcv1":
            if "L" not in items:
                raise SpecError(f"{what}: igcv1 needs L")
            L = parse_int(items["L"], "igcv1 L")
            if width % L:
                raise SpecError(f"{what}: width {width} is not a multiple of igcv1 L={L}")
            M = _stated(items, "M", name)
            if M is not None and L * M != width:
                raise SpecError(f"{what}: block {spec} is {L * M} channels wide (L·M) but the stage width is {width}")
            items["M"] = str(width // L)
        else:
            C = _stated(items, "C", name)
            if C is not None and C != width:
                raise SpecError(f"{what}: block {spec} says C={C} but the stage width is {width}")
            items["C"] = str(width)
    block = family.block(family.parse(items))
    return block, widen_first_conv(block.chain, cin, what)


def _norm(value: Any, what: str) -> str | tuple[int, ...]:
    """block, conv, or a list of convs per BN (each at least 1)."""
    if isinstance(value, list):
        if not value:
            raise SpecError(f"{what}: an empty list (give the convs before each BN, e.g. [2, 2])")
        return tuple(_int(n, f"{what} entry", high=MAX_NET_CONVS) for n in value)
    if not isinstance(value, str) or value not in ("block", "conv"):
        raise SpecError(f"{what} must be block or conv, or a list of convs per BN such as [2, 2]")
    return value


def _conv_segments(chain: tuple, norm: str | tuple[int, ...], what: str,
                   act: str | tuple[str, ...] = "relu") -> tuple[Segment, ...]:
    """BN after every conv (conv) or after each run of norm[i] convs, `act` between them (or
    act[i] after the i-th BN; the unit adds the last one after the block)."""
    pieces = split_at_convs(chain)
    counts = (1,) * len(pieces) if norm == "conv" else norm
    if sum(counts) != len(pieces):
        raise SpecError(f"{what}: norm {list(counts)} covers {sum(counts)} convs, the block has {len(pieces)}")
    runs, start = [], 0
    for n in counts:
        runs.append(tuple(layer for piece in pieces[start:start + n] for layer in piece))
        start += n
    acts = (act,) * len(runs) if isinstance(act, str) else act
    if len(acts) != len(runs):
        raise SpecError(f"{what}: act lists {len(acts)} activations for the {len(runs)} BN of norm")
    return tuple(Segment(run, True, _none(acts[i]) if i < len(runs) - 1 else None) for i, run in enumerate(runs))


def _segments(family: str, chain: tuple, act: str = "relu") -> tuple[Segment, ...]:
    if family in ("igcv3", "mobilenetv2"):
        pieces = split_at_convs(chain)
        first_act = "relu6" if family == "mobilenetv2" else None
        acts = [first_act] + ["relu6"] * (len(pieces) - 2) + [None]
        return tuple(Segment(piece, True, act) for piece, act in zip(pieces, acts))
    return (Segment(chain, True, act),)
