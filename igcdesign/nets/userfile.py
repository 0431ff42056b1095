"""Users' own networks: a YAML or JSON file of stages, validated with one-line errors.

Format (YAML shown; the same keys in JSON)::

    name: my-igc-net        # optional; default: the file name
    resolution: 32          # native input side (default 224)
    classes: 10             # default classes (default 1000)
    in_channels: 3          # default 3
    stem: {width: 32, k: 3, stride: 1}     # optional dense conv + BN + ReLU
    stages:                 # at least one
      - block: "igcv1:L=4,M=8"   # any block spec (docs/conventions.md §3)
        repeats: 2               # default 1
        stride: 1                # stride of the stage's first block (default 1)
        width: 32                # output channels (default: the spec's width)
        shortcut: false          # identity shortcut where stride 1 and width in = out (default false)
    head: {width: 1280}     # optional 1×1 conv + BN + ReLU before the pool

How `width` and the stage's input width enter the block:

- regular, dwsep, igcv2: ``C = width``; igcv1: ``M = width / L`` (L fixed, as in the paper's
  layout). The stage's first block takes the previous width through its first (spatial) conv,
  the CIFAR layouts' down-sampling rule (see :func:`~igcdesign.nets.model.widen_first_conv`).
- igcv3, mobilenetv2: ``C`` = the block's input width, ``Cout = width`` (the family takes both).
- chain: used as written; ``W`` must start at the width it receives and end at ``width``.

BN and activation: igcv3/mobilenetv2 blocks follow the inverted-bottleneck layout (BN after each
conv, ReLU6 after the channel-wise conv, and after the expansion for mobilenetv2); every other
block is followed by one BN and a ReLU (the IGCV1 CIFAR layout). The stride sits on the block's
first k×k conv (k > 1), or on its first conv when all are 1×1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from igcdesign.errors import SpecError, shown
from igcdesign.families import get_family
from igcdesign.nets.model import Network, Segment, Stage, Unit, conv_unit, note, split_at_convs, widen_first_conv, with_stride
from igcdesign.families.block import Block
from igcdesign.spec import parse_int, split_spec

SUFFIXES = (".yaml", ".yml", ".json")
TOP_KEYS = ("name", "resolution", "classes", "in_channels", "stem", "stages", "head")
STAGE_KEYS = ("block", "repeats", "stride", "width", "shortcut")
MAX_VALUE = 1 << 24
MAX_REPEATS = 1 << 12
MAX_BYTES = 1 << 20


def looks_like_file(text: str) -> bool:
    """A NETSPEC names a file when it ends in .yaml/.yml/.json or is an existing file."""
    text = text.strip()
    return text.lower().endswith(SUFFIXES) or (":" not in text and Path(text).is_file())


def load_document(path: Path) -> Any:
    """The parsed YAML/JSON document, or SpecError with one line."""
    if not path.is_file():
        raise SpecError(f"network file '{path}' not found")
    if path.stat().st_size > MAX_BYTES:
        raise SpecError(f"network file '{path}' is larger than {MAX_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read network file '{path}': {e}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "syntax error"
        raise SpecError(f"{path}: invalid YAML{where}: {problem}") from None


def _int(value: Any, what: str, *, low: int = 1, high: int = MAX_VALUE) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{what} must be an integer, got {value!r}")
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
    doc = _mapping(load_document(path), f"{path}", TOP_KEYS)
    where = str(path)
    name = doc.get("name", path.name)
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{where}: name must be a non-empty string")
    resolution = _int(doc.get("resolution", 224), f"{where}: resolution", high=1 << 16)
    classes = _int(doc.get("classes", 1000), f"{where}: classes")
    in_channels = cin = _int(doc.get("in_channels", 3), f"{where}: in_channels")
    stages: list[Stage] = []
    if "stem" in doc:
        stem = _mapping(doc["stem"], f"{where}: stem", ("width", "k", "stride"))
        if "width" not in stem:
            raise SpecError(f"{where}: stem needs a width")
        width = _int(stem["width"], f"{where}: stem width")
        k = _odd_kernel(stem.get("k", 3), f"{where}: stem k")
        stride = _int(stem.get("stride", 1), f"{where}: stem stride", high=64)
        stages.append(Stage("stem", (conv_unit("stem", cin, width, k, stride, "relu"),)))
        cin = width
    raw_stages = doc.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        raise SpecError(f"{where}: stages must be a non-empty list")
    for i, raw in enumerate(raw_stages):
        stage = _stage(raw, cin, f"{where}: stage {i + 1}", f"stage {i + 1}")
        stages.append(stage)
        cin = stage.cout
    if "head" in doc:
        head = _mapping(doc["head"], f"{where}: head", ("width",))
        if "width" not in head:
            raise SpecError(f"{where}: head needs a width")
        width = _int(head["width"], f"{where}: head width")
        stages.append(Stage("head", (conv_unit("head conv", cin, width, 1, 1, "relu"),)))
    return Network(name.strip(), "file", tuple(stages), resolution, classes, in_channels=in_channels)


def _odd_kernel(value: Any, what: str) -> int:
    k = _int(value, what, high=63)
    if k % 2 == 0:
        raise SpecError(f"{what}: network kernels must be odd (same padding), got {k}")
    return k


def _stage(raw: Any, cin: int, what: str, label: str) -> Stage:
    raw = _mapping(raw, what, STAGE_KEYS)
    if not isinstance(raw.get("block"), str):
        raise SpecError(f"{what}: needs block: a block spec string (e.g. igcv1:L=4,M=8)")
    repeats = _int(raw.get("repeats", 1), f"{what} repeats", high=MAX_REPEATS)
    stride = _int(raw.get("stride", 1), f"{what} stride", high=64)
    width = _int(raw["width"], f"{what} width") if "width" in raw else None
    shortcut = raw.get("shortcut", False)
    if not isinstance(shortcut, bool):
        raise SpecError(f"{what} shortcut must be true or false")
    family_name, items = split_spec(raw["block"])
    family = get_family(family_name)
    units = []
    for j in range(repeats):
        block_what = f"{what} block {j + 1}"
        try:
            block, chain = _block(family, dict(items), cin, width, block_what)
        except SpecError as e:
            message = str(e)
            raise SpecError(message if message.startswith(what) else f"{block_what}: {message}") from None
        for conv in chain:
            if getattr(conv, "k", 1) % 2 == 0:
                raise SpecError(f"{block_what}: network kernels must be odd (same padding), got k={conv.k}")
        s = stride if j == 0 else 1
        chain = with_stride(chain, s)
        cout = [layer for layer in chain if hasattr(layer, "cout")][-1].cout
        widened = family.name not in ("igcv3", "mobilenetv2", "chain")
        unit_note = note(s, cin, cout) if widened else note(s)
        has_shortcut = shortcut and s == 1 and cin == cout
        units.append(Unit(f"{label} block {j + 1}", block.spec, _segments(family.name, chain), has_shortcut, unit_note))
        cin = cout
        width = cout if width is None else width
    return Stage(label, tuple(units))


def _block(family, items: dict[str, str], cin: int, width: int | None, what: str) -> tuple[Block, tuple]:
    """The stage's block for an input of `cin` channels, and its chain adapted to that input."""
    name = family.name
    if name in ("igcv3", "mobilenetv2"):
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
            items["M"] = str(width // L)
        else:
            items["C"] = str(width)
    block = family.block(family.parse(items))
    return block, widen_first_conv(block.chain, cin, what)


def _segments(family: str, chain: tuple) -> tuple[Segment, ...]:
    if family in ("igcv3", "mobilenetv2"):
        pieces = split_at_convs(chain)
        first_act = "relu6" if family == "mobilenetv2" else None
        acts = [first_act] + ["relu6"] * (len(pieces) - 2) + [None]
        return tuple(Segment(piece, True, act) for piece, act in zip(pieces, acts))
    return (Segment(chain, True, "relu"),)
