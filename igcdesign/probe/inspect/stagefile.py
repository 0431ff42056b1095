"""A traced model written as a stage file (igcdesign.nets.userfile) that `igcdesign net` reads.

The graph is walked from the input, one unit at a time:

- a *run*: convs (and channel permutations between them), each run of convs closed by a BN and
  a ReLU between runs: a stage of one ``chain:`` block with ``norm: conv`` (a BN after every
  conv) or ``norm: [n1, n2, ...]`` (BN after n1 convs, then after n2 more, ...);
- a *residual unit*: a value read by two paths that meet at an addition followed by a ReLU: the
  body (a run whose last BN has no ReLU) and the identity (``shortcut: true``) or a 1×1 conv
  with the unit's stride and a BN (``shortcut: projection``);
- any other *unit* — two paths joined by an addition or a concat, or a channel split in halves
  whose first half is concatenated with the body's output, then permutations and a ReLU — is
  the unit spec (igcdesign.nets.unitspecs: ``shufflenetv2-unit``, ``shufflenetv1-unit:g=3``,
  ``resnet-unit``, ``resnet-bottleneck``) whose unit has the same convs, BN, activations, pools,
  join and permutations (a permutation and the BN or ReLU right after it may come in either
  order: both compute the same up to which channel each BN scales);
- an *inverted residual unit* (MobileNetV2, IGCV3): a 1×1 conv (grouped for IGCV3, then its
  channel shuffle), BN (and ReLU6 for MobileNetV2), a channel-wise k×k conv with the unit's
  stride, BN, ReLU6, a 1×1 conv (grouped for IGCV3), BN, and the identity added where the unit
  has it: a stage of ``igcv3:t=..,G1=..,G2=..`` or ``mobilenetv2:t=..`` blocks (the block the
  stage file builds has the same convs, BN, activations and permutations), ``shortcut: true``;
  any other unit whose last BN has no activation after it (torchvision's t = 1 block without an
  expansion, IGC blocks in place of the 1×1 convs, other activations in the unit) is a chain
  stage whose ``act`` lists the activation after each BN (``[relu6, relu6, none]``), its last
  BN's run taken with the channel-wise conv and the 1×1 convs before it;
- the first run, when it is one conv, BN and ReLU (or ReLU6: ``act: relu6``), is the stem; a max
  or average pool after the stem or a stage is its ``pool:``; the network ends with a global
  average pool, a flatten and an FC (a Linear, or a 1×1 conv on the pooled map; with a bias, or
  ``fc_bias: false``).

ReLU6 in place of ReLU in a run: the stage's ``act: relu6`` (a run holds one kind).

Each conv has the grammar's padding (k//2) and no bias; a block's stride sits on its first k×k
conv (the stage's stride). Anything else — another activation, a unit no spec describes, a pool
that follows no block, a conv with a bias — is :class:`NotExpressible`, a
one-line error that names the op. The document is then read back by the stage-file loader and
counted: its params and mult-adds must equal `inspect`'s totals of the model (no BN, FC with its
bias) and its params with BN the model's own parameter count, or it is refused as well (so a
file is only ever written when `net` counts what the model holds).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

from torch import fx, nn

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, conv_padding
from igcdesign.nets.model import Pool
from igcdesign.probe.inspect.ops import BN_OPS

ADDS = frozenset({"add", "add_", "iadd"})
RELUS = frozenset({"relu", "relu_", "ReLU"})
RELU6S = frozenset({"relu6", "relu6_", "ReLU6"})
ACTS = ("relu", "relu6")
SKIPPED = frozenset({"dropout", "dropout_", "Dropout", "Dropout2d", "Identity", "identity", "feature_dropout"})
GLOBAL_POOLS = frozenset({"AdaptiveAvgPool2d", "adaptive_avg_pool2d", "_adaptive_avg_pool2d", "AvgPool2d",
                          "avg_pool2d", "mean"})
STEM_POOLS = {"MaxPool2d": "max", "max_pool2d": "max", "max_pool2d_with_indices": "max", "AvgPool2d": "avg",
              "avg_pool2d": "avg"}


CATS = frozenset({"cat", "concat", "concatenate"})
SPLITS = frozenset({"chunk", "split", "split_with_sizes", "tensor_split"})
UNIT_NAMES = ("shufflenetv2-unit", "shufflenetv1-unit", "resnet-unit", "resnet-bottleneck")


class NotExpressible(IGCError):
    """The traced model holds something a stage file cannot say (the message names it)."""


@dataclass
class Trail:
    """What one path of the graph does: tokens ('conv', GroupConv, node) / ('perm', Permute) /
    ('bn', node) / ('relu', node) / ('relu6', node), and the node whose value it ends with."""

    tokens: list = field(default_factory=list)
    end: Any = None

    @property
    def convs(self) -> list[GroupConv]:
        return [t[1] for t in self.tokens if t[0] == "conv"]


class Walker:
    def __init__(self, gm: fx.GraphModule):
        from igcdesign.probe.inspect.segment import Segmenter

        self.seg = Segmenter(gm)
        self.gm = gm

    # --- nodes -----------------------------------------------------------------------
    def name(self, n: fx.Node) -> str:
        return self.seg.names.get(n, n.op)

    def module(self, n: fx.Node):
        return self.gm.get_submodule(n.target) if n.op == "call_module" else None

    def where(self, n: fx.Node) -> str:
        return f"{self.name(n)} {n.target if n.op == 'call_module' else n.name}"

    def users(self, n: fx.Node) -> list[fx.Node]:
        return self.seg.data_users(n)

    def single_user(self, n: fx.Node) -> fx.Node:
        users = self.users(n)
        if len(users) != 1:
            raise NotExpressible(f"the value of {self.where(n)} is read by {len(users)} ops (a stage file "
                                 "holds a unit of two paths joined by an addition)")
        return users[0]

    def spatial(self, n: fx.Node) -> tuple[int, ...]:
        return tuple((self.seg.shape(n) or (0, 0))[2:])

    # --- a linear path ---------------------------------------------------------------
    def follow(self, start: fx.Node, first: fx.Node | None = None, convs: bool = True) -> Trail:
        """The ops that read `start`'s value one after another (from its user `first`), until the
        value branches, merges or meets an op that is not a conv (with `convs`), BN, ReLU or
        permutation."""
        path = Trail(end=start)
        cur, nxt = start, first
        while True:
            users = self.users(cur)
            if nxt is None:
                if len(users) != 1:
                    return path
                nxt = users[0]
            kind = self.seg.kind.get(nxt)
            if self.seg.data_inputs(nxt) != [cur]:
                return path
            if kind == "conv" and not convs:
                return path
            if kind == "conv":
                path.tokens.append(("conv", self._conv(nxt), nxt))
                cur = nxt
            elif kind == "transparent":
                name = self.name(nxt)
                if name in BN_OPS or isinstance(self.module(nxt), nn.modules.batchnorm._BatchNorm):
                    path.tokens.append(("bn", nxt))
                elif name in RELUS:
                    path.tokens.append(("relu", nxt))
                elif name in RELU6S or _is_relu6(nxt, name):
                    path.tokens.append(("relu6", nxt))
                elif name not in SKIPPED:
                    raise NotExpressible(f"{self.where(nxt)}: a stage file's blocks take BN, ReLU and ReLU6 only")
                head = self.seg._tuple_head(nxt)
                if head is None:
                    raise NotExpressible(f"{self.where(nxt)}: its result could not be followed")
                cur = head
            elif kind == "shape" and all(self.seg.kind.get(u) == "shape" for u in users):
                found = self.seg.permutation_after(cur)
                if found is None:
                    return path
                exit_node, layer = found
                if layer is not None:
                    path.tokens.append(("perm", layer))
                cur = exit_node
            else:
                return path
            path.end = cur
            nxt = None

    def _conv(self, n: fx.Node) -> GroupConv:
        info = self.seg.conv[n]
        k, s = info.kernel[0], info.stride[0]
        if info.bias:
            raise NotExpressible(f"conv {info.name} has a bias (a stage file's convs have none)")
        want = conv_padding(k, s)
        padding = info.padding
        if isinstance(padding, (list, tuple)):
            padding = tuple(padding)
        if padding not in (want, (want, want)):
            raise NotExpressible(f"conv {info.name}: padding {padding}, not the stage file's {want}")
        return GroupConv(info.cin, info.cout, info.groups, k, stride=s, name=info.name)


def segments_of(path: Trail, unit: bool, what: str) -> list[int]:
    """Convs per BN of a path: BN closes each run of convs, a ReLU follows every BN but the last
    of a unit's body (its ReLU comes after the addition) and follows the last of a run."""
    counts: list[int] = []
    convs, state = 0, "open"  # open: convs since the last BN; bn: BN seen, no ReLU; done: BN and ReLU
    for token in path.tokens:
        if token[0] == "conv":
            if state == "bn":
                raise NotExpressible(f"{what}: a BN with no ReLU between convs")
            if state == "done":
                convs, state = 0, "open"
            convs += 1
        elif token[0] == "bn":
            if state != "open" or convs == 0:
                raise NotExpressible(f"{what}: a BN that does not follow a conv")
            counts.append(convs)
            state = "bn"
        elif token[0] in ACTS:
            if state != "bn":
                raise NotExpressible(f"{what}: a ReLU with no BN before it")
            state = "done"
        elif token[0] == "perm" and state != "open":
            raise NotExpressible(f"{what}: a channel permutation after the last BN of a block")
    if state == "open":
        raise NotExpressible(f"{what}: a conv with no BN after it")
    if unit and state != "bn":
        raise NotExpressible(f"{what}: a ReLU before the addition (a stage file's units add, then apply ReLU)")
    if not unit and state != "done":
        raise NotExpressible(f"{what}: a BN with no ReLU after it")
    return counts


def chain_of(path: Trail) -> tuple:
    return tuple(t[1] for t in path.tokens if t[0] in ("conv", "perm"))


def stage_entry(path: Trail, what: str, shortcut: bool | str = False, after: Sequence = (),
                _no_norm: bool = False) -> dict[str, Any]:
    """One stage of one block: the chain spec (strides left to the stage), stride, shortcut, norm,
    and act where the activation (the one `after` the addition included) is ReLU6."""
    from igcdesign.families.chain import chain_spec
    from igcdesign.nets.model import spatial_index

    chain = chain_of(path)
    if not chain or not isinstance(chain[0], GroupConv):
        raise NotExpressible(f"{what}: a block that does not start with a conv")
    strided = [i for i, layer in enumerate(chain) if isinstance(layer, GroupConv) and layer.stride != 1]
    stride = 1
    if strided:
        if strided != [spatial_index(chain)]:
            raise NotExpressible(f"{what}: a stride on conv {chain[strided[-1]].name}, where a stage file puts "
                                 "it on the block's first k×k conv")
        stride = chain[strided[0]].stride
    plain = tuple(dataclasses.replace(layer, stride=1) if isinstance(layer, GroupConv) else layer for layer in chain)
    entry: dict[str, Any] = {"block": chain_spec(plain)}
    if stride != 1:
        entry["stride"] = stride
    if _no_norm:  # the caller says the BN and activations
        return entry
    counts = segments_of(path, bool(shortcut), what)
    if shortcut:
        entry["shortcut"] = shortcut
    entry["norm"] = "conv" if all(c == 1 for c in counts) else counts
    if act_of(Trail([*path.tokens, *after]), what) == "relu6":
        entry["act"] = "relu6"
    return entry


def act_of(path: Trail, what: str) -> str:
    """The activation of a run: relu or relu6 (one kind: a stage's act)."""
    kinds = {t[0] for t in path.tokens if t[0] in ACTS}
    if len(kinds) > 1:
        raise NotExpressible(f"{what}: ReLU and ReLU6 in one run (a stage takes one activation)")
    return kinds.pop() if kinds else "relu"


def bn_segments(tokens: list) -> tuple[list[list], list]:
    """The tokens cut after each BN (and the activation right after it), and what follows the
    last BN."""
    pieces: list[list] = []
    current: list = []
    for i, token in enumerate(tokens):
        current.append(token)
        if token[0] == "bn" and not (i + 1 < len(tokens) and tokens[i + 1][0] in ACTS):
            pieces.append(current)
            current = []
        elif token[0] in ACTS and i > 0 and tokens[i - 1][0] == "bn":
            pieces.append(current)
            current = []
    return pieces, current


class Builder:
    """The stage-file document of a traced graph (see the module docstring)."""

    def __init__(self, gm: fx.GraphModule, shape: Sequence[int]):
        self.w = Walker(gm)
        self.shape = tuple(shape)
        self.stem: dict[str, Any] | None = None
        self.stages: list[dict[str, Any]] = []
        self.classes: int | None = None
        self.fc_bias = True

    def build(self, name: str) -> dict[str, Any]:
        if len(self.shape) != 4 or self.shape[2] != self.shape[3]:
            raise NotExpressible(f"a {'x'.join(map(str, self.shape))} input: a stage file takes N×C×H×H")
        inputs = [n for n in self.w.seg.nodes if n.op == "placeholder" and self.w.seg.is_tensor(n)]
        if len(inputs) != 1:
            raise NotExpressible(f"{len(inputs)} tensor inputs (a stage file has one)")
        cur = inputs[0]
        while self.classes is None:
            cur = self.step(cur)
        doc: dict[str, Any] = {"name": name, "resolution": self.shape[2], "classes": self.classes,
                               "in_channels": self.shape[1]}
        if not self.fc_bias:
            doc["fc_bias"] = False
        if self.stem is not None:
            doc["stem"] = self.stem
        doc["stages"] = self.stages
        return doc

    def step(self, cur: fx.Node) -> fx.Node:
        w = self.w
        users = w.users(cur)
        if len(users) == 2:
            return self.unit(cur, users)
        nxt = w.single_user(cur)
        if w.name(nxt) in SPLITS:
            return self.split_unit(cur, nxt)
        if nxt.op == "output":
            raise NotExpressible("the model ends without a global average pool and an FC (a stage file's classifier)")
        kind, name = w.seg.kind.get(nxt), w.name(nxt)
        if kind in ("conv", "transparent", "shape") and not self._global_pool(nxt):
            path = w.follow(cur)
            if path.end is cur:
                raise NotExpressible(f"{w.where(nxt)}: not a conv, BN, ReLU or channel permutation")
            if any(t[0] == "relu6" for t in path.tokens):
                self.inverted_run(path)
            else:
                self.run(path)
            return path.end
        if self._global_pool(nxt):
            return self.classifier(nxt)
        if name in STEM_POOLS:
            return self.pool(nxt)
        if kind == "xconv":
            raise NotExpressible(f"conv {w.seg.conv[nxt].name}: {w.seg.conv[nxt].not_expressible()}")
        if kind == "linear":
            raise NotExpressible(f"{w.where(nxt)}: an FC that does not follow a global average pool")
        raise NotExpressible(f"{w.where(nxt)}: not an op a stage file holds")

    def run(self, path: Trail) -> None:
        what = f"the block from conv {path.convs[0].name}" if path.convs else "a run"
        if not path.convs:
            raise NotExpressible(f"{what}: a BN, ReLU or permutation outside a block")
        if not self.stages and self.stem is None and len(path.convs) == 1:
            counts = segments_of(path, False, "the stem")
            conv = path.convs[0]
            if counts == [1] and chain_of(path) == (conv,):
                self.stem = {"width": conv.cout, "k": conv.k, "stride": conv.stride}
                if conv.groups != 1:
                    self.stem["groups"] = conv.groups
                if act_of(path, "the stem") == "relu6":
                    self.stem["act"] = "relu6"
                return
        self._add(stage_entry(path, what))

    def inverted_run(self, path: Trail) -> None:
        """A run with ReLU6: cut into inverted residual units (each an igcv3 or mobilenetv2
        stage) and the runs between them (the stem, chain stages such as the head)."""
        pieces, rest = bn_segments(path.tokens)
        if rest:
            return self.run(path)  # a conv with no BN after it: run names it
        i, pending = 0, []
        cin = path.convs[0].cin

        def flush():
            if pending:
                tokens = [t for piece in pending for t in piece]
                self.run(Trail(tokens, None))
                pending.clear()

        while i < len(pieces):
            entry = inverted_entry(pieces[i:i + 3], cin, False) if i + 3 <= len(pieces) else None
            if entry is not None:
                flush()
                self._add(entry)
                i += 3
            elif pieces[i][-1][0] == "bn":  # a linear bottleneck no family holds: a chain stage
                j = len(pending)
                if j and _channel_wise(pending[j - 1]):
                    j -= 1
                    if j and _pointwise(pending[j - 1]):
                        j -= 1
                unit = pending[j:] + [pieces[i]]
                del pending[j:]
                flush()
                self._add(linear_entry(unit, False))
                i += 1
            else:
                pending.append(pieces[i])
                i += 1
            cin = next((t[1].cout for t in reversed(pieces[i - 1]) if t[0] == "conv"), cin)
        flush()

    def _add(self, entry: dict[str, Any]) -> None:
        """A stage, or one more repeat of the last when it is the same block (the stage's stride
        is its first unit's)."""
        last = self.stages[-1] if self.stages else None
        if last is not None and "stride" not in entry and "pool" not in last:
            if {k: v for k, v in last.items() if k not in ("repeats", "stride")} == entry:
                last["repeats"] = last.get("repeats", 1) + 1
                return
        self.stages.append(entry)

    def unit(self, cur: fx.Node, users: list[fx.Node]) -> fx.Node:
        """Two paths from `cur` that meet at an addition or a concat: one stage of one unit."""
        w = self.w
        trails, joins = [], []
        for user in users:
            if w.name(user) in ADDS | CATS:
                trails.append(Trail(end=cur))
                joins.append(user)
                continue
            if w.name(user) in STEM_POOLS and w.seg.data_inputs(user) == [cur]:  # ShuffleNet V1's pool path
                k, stride, padding, ceil_mode = _pool_args(w, user)
                trail = w.follow(user)
                trail.tokens.insert(0, ("pool", Pool(STEM_POOLS[w.name(user)], k, stride, padding, ceil_mode)))
            else:
                trail = w.follow(cur, user)
            trails.append(trail)
            after = w.users(trail.end)
            joins.append(after[0] if len(after) == 1 and trail.end is not cur else None)
        join = joins[0]
        if (join is None or any(j is not join for j in joins) or w.name(join) not in ADDS | CATS
                or sorted(map(str, w.seg.data_inputs(join))) != sorted(str(t.end) for t in trails)):
            found = sorted({w.where(j) for j in joins if j is not None})
            raise NotExpressible(f"the value of {w.where(cur)} is read by two paths that do not meet at an addition "
                                 "or a concat" + (f" ({', '.join(found)})" if found else ""))
        body, side = sorted(trails, key=lambda t: -len(t.convs))
        return self._joined(cur, join, body, side, split=False)

    def split_unit(self, cur: fx.Node, split: fx.Node) -> fx.Node:
        """A channel split in halves: the first half passed on, the second through a body, the two
        concatenated (ShuffleNet V2's unit)."""
        w = self.w
        halves = {}
        for user in split.users:
            if w.name(user) == "getitem" and len(user.args) > 1 and user.args[1] in (0, 1):
                halves[user.args[1]] = user
        width = (w.seg.shape(cur) or (0, 0))[1]
        shapes = [tuple(w.seg.shape(h) or ()) for h in halves.values()]
        if (len(halves) != 2 or len(split.users) != 2 or w.name(split) not in SPLITS or width % 2
                or any(len(s) != 4 or s[1] != width // 2 for s in shapes)):
            raise NotExpressible(f"{w.where(split)}: a split other than in two halves of the channels")
        kept, rest = halves[0], halves[1]
        body = w.follow(rest)
        join = w.single_user(kept)
        if w.name(join) not in CATS or w.single_user(body.end) is not join:
            raise NotExpressible(f"{w.where(split)}: the halves of a split do not meet at a concat")
        return self._joined(cur, join, body, Trail(end=kept), split=True)

    def _joined(self, cur: fx.Node, join: fx.Node, body: Trail, side: Trail, split: bool) -> fx.Node:
        """The stage of a unit whose paths meet at `join`: a chain block with its shortcut where
        it is one (a residual unit), else the unit spec whose unit is what was traced."""
        w = self.w
        if not body.convs:
            raise NotExpressible(f"{w.where(join)}: a join of two paths without convs")
        what = f"the unit from conv {body.convs[0].name}"
        merge = "add" if w.name(join) in ADDS else "concat"
        order = [a for a in (join.args[0] if merge == "concat" else ()) if isinstance(a, fx.Node)]
        if merge == "concat" and (len(order) != 2 or _cat_dim(join) != 1):
            raise NotExpressible(f"{w.where(join)}: a concat other than of two paths' channels")
        after = w.follow(join, convs=False)
        traced = (split, _signature(body.tokens), _signature(side.tokens), merge,
                  merge == "concat" and order[0] is side.end, _signature(after.tokens))
        try:
            entry = self._chain_unit(body, side, merge, after, what) if not split else None
        except NotExpressible as e:
            entry, reason = None, str(e)
        else:
            reason = f"{what}: a channel split"
        if entry is None:
            cin, cout = (w.seg.shape(cur) or (0, 0))[1], (w.seg.shape(after.end) or (0, 0))[1]
            side_in, side_out = w.spatial(cur), w.spatial(after.end)
            stride = side_in[0] // side_out[0] if side_out and side_out[0] else 0
            entry = _unit_entry(traced, body, cin, cout, stride)
            if entry is None:
                raise NotExpressible(f"{reason}; nor is it one of the unit specs ({', '.join(UNIT_NAMES)})")
        self._add(entry)
        return after.end

    def _chain_unit(self, body: Trail, side: Trail, merge: str, after: Trail, what: str) -> dict[str, Any]:
        """A residual unit: a chain block, its identity or projection shortcut added, then ReLU."""
        if merge != "add":
            raise NotExpressible(f"{what}: a concat of two paths")
        if not after.tokens and not side.tokens and any(t[0] == "relu6" for t in body.tokens):
            pieces, rest = bn_segments(body.tokens)
            if rest:
                raise NotExpressible(f"{what}: a conv with no BN after it")
            return inverted_entry(pieces, body.convs[0].cin, True) or linear_entry(pieces, True)
        if [t[0] for t in after.tokens] not in (["relu"], ["relu6"]):
            raise NotExpressible(f"{what}: the addition is not followed by a ReLU alone")
        if not side.tokens:
            return stage_entry(body, what, True, after.tokens)
        entry = stage_entry(body, what, "projection", after.tokens)
        conv = side.convs[0] if side.convs else None
        if ([t[0] for t in side.tokens] != ["conv", "bn"] or conv.k != 1 or conv.groups != 1
                or conv.stride != entry.get("stride", 1)):
            raise NotExpressible(f"{what}: a shortcut other than the identity or a 1×1 conv with the unit's "
                                 "stride and a BN")
        if conv.stride == 1 and body.convs[0].cin == body.convs[-1].cout:
            raise NotExpressible(f"{what}: a projection shortcut where the identity fits (a stage file's "
                                 "projection is only where the stride or the width changes)")
        return entry

    def pool(self, n: fx.Node) -> fx.Node:
        w = self.w
        kind = STEM_POOLS[w.name(n)]
        owner = self.stages[-1] if self.stages else self.stem
        if owner is None or "pool" in owner:
            raise NotExpressible(f"{w.where(n)}: a pool that follows no block (or another pool)")
        k, stride, padding, ceil_mode = _pool_args(w, n)
        owner["pool"] = {"kind": kind, "k": k, "stride": stride, "padding": padding, "ceil_mode": ceil_mode}
        return n

    def _global_pool(self, n: fx.Node) -> bool:
        w = self.w
        name = w.name(n)
        if name not in GLOBAL_POOLS or w.seg.kind.get(n) not in ("other", "shape", "transparent"):
            return False
        source = w.seg.data_inputs(n)
        if len(source) != 1:
            return False
        shape = w.seg.shape(n) or ()
        if len(shape) < 2 or any(s != 1 for s in shape[2:]):
            return False
        if name == "mean":
            dims = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim")
            dims = (dims,) if isinstance(dims, int) else tuple(dims or ())
            return sorted(d % 4 for d in dims) == [2, 3]
        if name in ("AvgPool2d", "avg_pool2d"):
            k, _, padding, _ = _pool_args(w, n)
            return padding == 0 and w.spatial(source[0]) == (k, k)
        return True

    def classifier(self, pool: fx.Node) -> fx.Node:
        w = self.w
        cur = pool
        while True:
            nxt = w.single_user(cur)
            kind = w.seg.kind.get(nxt)
            if kind == "linear":
                info = w.seg.linear[nxt]
                break
            if kind == "conv" and self._fc_conv(nxt):
                info = w.seg.conv[nxt]
                break
            if kind in ("shape", "transparent") and (kind == "shape" or w.name(nxt) in SKIPPED):
                cur = nxt
                continue
            raise NotExpressible(f"{w.where(nxt)} after the global pool (a stage file ends with the FC)")
        end = nxt
        while True:  # a 1×1 conv's output is flattened after it
            out = w.users(end)
            if len(out) == 1 and w.seg.kind.get(out[0]) == "shape" and w.seg.data_inputs(out[0]) == [end]:
                end = out[0]
                continue
            break
        if len(out) != 1 or out[0].op != "output":
            raise NotExpressible(f"{w.where(out[0]) if out else info.name}: an op after the FC")
        self.classes = info.cout
        self.fc_bias = bool(info.bias)
        return end

    def _fc_conv(self, n: fx.Node) -> bool:
        """A dense 1×1 conv on the pooled 1×1 map: the FC written as a conv."""
        info = self.w.seg.conv[n]
        return (tuple(info.kernel) == (1, 1) and info.groups == 1 and tuple(info.stride) in ((1, 1),)
                and self.w.spatial(n) == (1, 1))


def _cat_dim(n: fx.Node) -> int:
    dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", 0)
    return dim % 4 if isinstance(dim, int) else -1


def _signature(tokens) -> tuple:
    """A path's structure, comparable between a traced path and a unit: convs by shape, BN,
    activations, pools, and permutations by their index map, each moved past the BN and
    activation after it (per-channel ops: the order does not change what the path computes up
    to which channel each BN scales)."""
    out: list[tuple] = []
    moved: list[tuple] = []
    for token in tokens:
        kind = token[0]
        if kind == "conv":
            out += moved
            moved = []
            c = token[1]
            out.append(("conv", c.cin, c.cout, c.groups, c.k, c.stride))
        elif kind == "perm":
            moved.append(("perm", tuple(int(i) for i in token[1].index_map())))
        elif kind == "pool":
            out += moved
            moved = []
            p = token[1]
            out.append(("pool", p.kind, p.k, p.stride, p.padding, p.ceil_mode))
        else:
            out.append((kind,))
    return tuple(out + moved)


def segment_tokens(segments) -> list:
    """A model Unit's segments as a traced path's tokens."""
    out: list = []
    for segment in segments:
        out += [("conv", layer) if isinstance(layer, GroupConv) else ("perm", layer) for layer in segment.layers]
        out += [("bn",)] if segment.bn else []
        out += [(segment.act,)] if segment.act else []
    return out


def unit_signature(unit) -> tuple:
    """The signature (as :func:`_signature` of the traced paths) of a model Unit."""
    tokens = segment_tokens

    side: list = []
    if unit.side is not None:
        side = tokens(unit.side.segments) + ([("pool", unit.side.pool)] if unit.side.pool else [])
    after = [("perm", layer) for layer in unit.after] + ([(unit.act,)] if unit.act else [])
    concat = unit.merge == "concat"
    return (unit.split, _signature(tokens(unit.segments)), _signature(side), "concat" if concat else "add",
            concat and unit.side_first, _signature(after))


def _unit_entry(traced: tuple, body: Trail, cin: int, cout: int, stride: int) -> dict[str, Any] | None:
    """The stage entry of the unit spec whose unit has the traced signature, or None."""
    from igcdesign.errors import SpecError
    from igcdesign.nets.unitspecs import UNIT_SPECS
    from igcdesign.spec import split_spec

    if stride not in (1, 2):
        return None
    convs = body.convs
    tries: list[tuple[str, dict[str, int]]] = [("shufflenetv2-unit", {}), ("resnet-unit", {})]
    if len(convs) == 3:
        tries += [("shufflenetv1-unit", {"g": convs[2].groups, "g1": convs[0].groups}),
                  ("resnet-bottleneck", {"mid": convs[0].cout, "G": convs[1].groups})]
    for family, extra in tries:
        items = {key: str(value) for key, value in {**extra, "Cin": cin, "C": cout, "s": stride}.items()}
        try:
            spec, unit = UNIT_SPECS[family](items)
        except SpecError:
            continue
        if unit_signature(unit) != traced:
            continue
        _, canonical = split_spec(spec)
        keys = ",".join(f"{k}={v}" for k, v in canonical.items() if k not in ("Cin", "C", "s"))
        entry: dict[str, Any] = {"block": f"{family}:{keys}" if keys else family}
        if stride != 1:
            entry["stride"] = stride
        entry["width"] = cout
        return entry
    return None


INVERTED = "1×1 convs, BN, activation, channel-wise k×k conv, BN, activation, 1×1 convs, BN"


def inverted_entry(pieces: list[list], cin: int, identity: bool) -> dict[str, Any] | None:
    """The stage entry of an igcv3 or mobilenetv2 block whose unit (built as the stage file
    builds it, entered with `cin` channels) has the convs, BN, activations and permutations of
    three BN-closed `pieces` of a traced path, with the identity added when `identity`; or None."""
    from igcdesign.errors import SpecError
    from igcdesign.nets.userfile import _stage

    convs = [[t[1] for t in piece if t[0] == "conv"] for piece in pieces]
    if len(pieces) != 3 or any(len(c) != 1 for c in convs):
        return None
    c1, c2, c3 = (c[0] for c in convs)
    if (c1.k != 1 or c3.k != 1 or c1.stride != 1 or c3.stride != 1 or c2.k == 1 or c1.cin != cin
            or c1.cout % c1.cin or not c2.cin == c2.cout == c2.groups):
        return None
    t, s = c1.cout // c1.cin, c2.stride
    if s not in (1, 2) or identity and (s != 1 or c3.cout != cin):
        return None
    k = f",k={c2.k}" if c2.k != 3 else ""
    acts = [piece[-1][0] if piece[-1][0] in ACTS else None for piece in pieces]
    if acts == ["relu6", "relu6", None] and c1.groups == c3.groups == 1:
        block = f"mobilenetv2:t={t}{k}"
    elif acts == [None, "relu6", None]:
        block = f"igcv3:t={t},G1={c1.groups},G2={c3.groups}{k}"
    else:
        return None
    entry: dict[str, Any] = {"block": block}
    if s != 1:
        entry["stride"] = s
    entry["width"] = c3.cout
    fits = s == 1 and c3.cout == cin
    if identity or not fits:  # identity: the stage file adds it only where it fits
        entry["shortcut"] = True
    try:
        unit = _stage(dict(entry), cin, "the unit", "unit").units[0]
    except SpecError:
        return None
    traced = [t for piece in pieces for t in piece]
    if _signature(segment_tokens(unit.segments)) != _signature(traced) or unit.shortcut != identity:
        return None
    if unit.side is not None or unit.act is not None:
        return None
    return entry


def _channel_wise(piece: list) -> bool:
    """One channel-wise k×k conv (k > 1), BN and an activation."""
    convs = [t[1] for t in piece if t[0] == "conv"]
    return (len(convs) == 1 and convs[0].k > 1 and convs[0].groups == convs[0].cin == convs[0].cout
            and piece[-1][0] in ACTS)


def _pointwise(piece: list) -> bool:
    """1×1 convs (an expansion, or an IGC block in its place), BN and an activation."""
    convs = [t[1] for t in piece if t[0] == "conv"]
    return bool(convs) and all(c.k == 1 and c.stride == 1 for c in convs) and piece[-1][0] in ACTS


def linear_entry(pieces: list[list], identity: bool) -> dict[str, Any]:
    """A unit whose last BN has no activation after it (a linear bottleneck), with the identity
    added when `identity`: a chain stage with norm (convs per BN) and act (the activation after
    each BN, ``none`` after the last). The stage file's unit is built and compared with the
    traced one: NotExpressible (naming the conv) when they differ."""
    from igcdesign.errors import SpecError
    from igcdesign.nets.userfile import _stage

    tokens = [t for piece in pieces for t in piece]
    path = Trail(tokens)
    what = f"the block from conv {path.convs[0].name}" if path.convs else "a run"
    for piece in pieces:
        kinds = [t[0] for t in piece]
        body = kinds[:kinds.index("bn")] if "bn" in kinds else kinds
        if (not any(k == "conv" for k in body) or set(body) - {"conv", "perm"}
                or kinds[len(body):] not in (["bn"], ["bn", "relu"], ["bn", "relu6"])):
            raise NotExpressible(f"{what}: convs, BN and an activation in another order than a stage file's "
                                 f"(a permutation or an activation away from its conv and BN)")
    entry = stage_entry(Trail([t for t in tokens if t[0] in ("conv", "perm")]), what, _no_norm=True)
    cin, cout = path.convs[0].cin, path.convs[-1].cout
    fits = entry.get("stride", 1) == 1 and cin == cout
    if identity or not fits:
        entry["shortcut"] = True
    counts = [sum(t[0] == "conv" for t in piece) for piece in pieces]
    entry["norm"] = "conv" if all(c == 1 for c in counts) else counts
    entry["act"] = [piece[-1][0] if piece[-1][0] in ACTS else "none" for piece in pieces]
    try:
        unit = _stage(dict(entry), cin, what, "unit").units[0]
    except SpecError as e:
        raise NotExpressible(f"{what}: {e}") from None
    built = segment_tokens(unit.segments) + ([(unit.act,)] if unit.act else [])
    if _signature(built) != _signature(tokens) or unit.shortcut != identity or unit.side is not None:
        raise NotExpressible(f"{what}: a linear bottleneck the stage file would build otherwise ({INVERTED})")
    return entry


def _is_relu6(n: fx.Node, name: str) -> bool:
    """hardtanh(0, 6): ReLU6 as torch.export writes it."""
    if name not in ("hardtanh", "hardtanh_"):
        return False
    low = n.args[1] if len(n.args) > 1 else n.kwargs.get("min_val", -1.0)
    high = n.args[2] if len(n.args) > 2 else n.kwargs.get("max_val", 1.0)
    return low == 0 and high == 6


def _pool_args(w: Walker, n: fx.Node) -> tuple[int, int, int, bool]:
    """(k, stride, padding, ceil_mode) of a square pool; NotExpressible for another."""
    module = w.module(n)
    if module is not None:
        k, stride, padding = module.kernel_size, module.stride, module.padding
        ceil_mode = bool(module.ceil_mode)
        dilation = getattr(module, "dilation", 1)
        include_pad = getattr(module, "count_include_pad", True)
    else:
        names = ("input", "kernel_size", "stride", "padding", "dilation" if "max" in w.name(n) else "ceil_mode",
                 "ceil_mode" if "max" in w.name(n) else "count_include_pad")
        values = dict(zip(names, n.args))
        values.update(n.kwargs)
        k = values.get("kernel_size")
        stride = values.get("stride") or k
        padding = values.get("padding", 0)
        ceil_mode = bool(values.get("ceil_mode", False))
        dilation = values.get("dilation", 1)
        include_pad = values.get("count_include_pad", True)

    def one(value, what):
        values = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
        if len(set(values)) != 1 or not isinstance(values[0], int):
            raise NotExpressible(f"{w.where(n)}: {what} {values} (not the same on both sides)")
        return values[0]

    k, stride, padding = one(k, "kernel"), one(stride, "stride"), one(padding, "padding")
    if one(dilation, "dilation") != 1:
        raise NotExpressible(f"{w.where(n)}: a dilated pool")
    if not include_pad:
        raise NotExpressible(f"{w.where(n)}: an average pool that does not count its padding")
    return k, stride, padding, ceil_mode


def stage_document(model: nn.Module, shape: Sequence[int], name: str, traced: Any = None,
                   report: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the stage-file document of `model` traced on an input of `shape`, `inspect`'s document of
    it); NotExpressible (one line) when the model is not a stem, units and a classifier as the
    module docstring says, or when the file would count other than the model. `traced` and
    `report`: the model's trace and `inspect` document (bn=False) when the caller has them."""
    from igcdesign.nets.userfile import MAX_NAME
    from igcdesign.probe.inspect.report import traced_report

    name = name.strip()[:MAX_NAME] or "network"
    shape = tuple(int(s) for s in shape)
    if traced is None or report is None or report.get("bn"):
        report, traced = traced_report(model, shape)
    doc = Builder(traced.gm, shape).build(name)
    check_counts(doc, report, model)
    return doc, report


def check_counts(doc: dict[str, Any], report: dict[str, Any], model: nn.Module) -> None:
    """The document, read back by the stage-file loader, counts the model's params and
    mult-adds (no BN, as `inspect`) and, with BN, the model's own parameter count."""
    from igcdesign.errors import SpecError
    from igcdesign.nets.counting import count_net
    from igcdesign.nets.userfile import network_from_document

    try:
        net = network_from_document(doc, "the stage file")
        plain = count_net(net)
        with_bn = count_net(net, bn=True)
    except SpecError as e:
        raise NotExpressible(f"cannot be written as a stage file: {e}") from None
    totals = report["totals"]
    own = sum(p.numel() for p in model.parameters())
    for what, ours, theirs in (("params", plain.params, totals["params"]),
                               ("mult_adds", plain.mult_adds, totals["mult_adds"]),
                               ("params with BN", with_bn.params, own)):
        if ours != theirs:
            raise NotExpressible(f"the stage file would count {ours:,} {what}, the model {theirs:,} "
                                 "(it holds something a stage file does not)")


def stage_text(doc: dict[str, Any], suffix: str) -> str:
    """The document as YAML (one line per stage, as the README writes them) or, for .json, JSON."""
    import json

    if suffix.lower() == ".json":
        return json.dumps(doc, indent=2) + "\n"
    import yaml

    def dump(value: Any, flow: bool | None) -> str:
        return yaml.safe_dump(value, default_flow_style=flow, sort_keys=False, allow_unicode=True, width=1 << 16)

    head = "".join(f"{key}: {dump(value, True).strip()}\n" if isinstance(value, dict) else dump({key: value}, False)
                   for key, value in doc.items() if key != "stages")  # the stem on one line
    return head + "stages:\n" + "".join(f"  - {dump(entry, True).strip()}\n" for entry in doc["stages"])
