"""Any chain: W = channels at each interface, G = groups per conv, k = kernel sides, s = strides,
P = gaps, tail = a permutation after the last conv (IGCV1's permute-back).

k and s take one value per conv, or one value for the first conv (the others 1×1, stride 1).

A gap (or the tail) is `s` (interleave), `i` (identity), a shuffle group count, or an explicit
permutation written inline: output channel j is input channel perm[j], the indices joined by
'.', a run of consecutive indices written `a-b` (so `4-7.0-3` swaps two halves of 8 channels).
Every chain, including one whose gaps came from `check --perm-file`, has such a spec
(:func:`chain_spec`), and every command takes it back.
"""

from __future__ import annotations

import re
from typing import Sequence

from igcdesign.errors import SpecError
from igcdesign.families.base import Family, check_divides, check_stride, make_chain
from igcdesign.spec import parse_int, parse_int_list

MAX_PERM_CHANNELS = 1 << 22  # an inline permutation: as wide as `check` takes a layer
# The longest chain spec printed with its permutations inline: no longer than the parser takes
# a spec (igcdesign.spec); a longer one is printed as the spec plus the --perm-file it needs.
MAX_INLINE_SPEC = 1 << 14
_INDEX = re.compile(r"[0-9]{1,15}")


def perm_token(perm: Sequence[int]) -> str:
    """An explicit permutation as a spec token: indices joined by '.', runs of three or more
    consecutive indices as 'a-b'; always holds a '.' or a '-', so it never reads as a count."""
    pieces: list[str] = []
    i, n = 0, len(perm)
    while i < n:
        j = i
        while j + 1 < n and perm[j + 1] == perm[j] + 1:
            j += 1
        if j - i >= 2 or n == 1:
            pieces.append(f"{perm[i]}-{perm[j]}")
        else:
            pieces.extend(str(v) for v in perm[i:j + 1])
        i = j + 1
    return ".".join(pieces)


def parse_perm(token: str, what: str) -> tuple[int, ...]:
    """The permutation a perm_token writes (its validity as a permutation is checked later,
    against the gap's width). At most MAX_PERM_CHANNELS indices, counted before expanding."""
    runs = []
    total = 0
    for piece in token.split("."):
        first, dash, last = piece.partition("-")
        if not _INDEX.fullmatch(first.strip()) or (dash and not _INDEX.fullmatch(last.strip())):
            raise SpecError(f"{what}: '{piece[:40]}' is not a channel index or a run a-b")
        a, b = int(first), int(last) if dash else int(first)
        if b < a:
            raise SpecError(f"{what}: run {a}-{b} runs backwards")
        total += b - a + 1
        if total > MAX_PERM_CHANNELS:
            raise SpecError(f"{what}: a permutation of more than {MAX_PERM_CHANNELS:,} channels")
        runs.append((a, b))
    return tuple(v for a, b in runs for v in range(a, b + 1))


def _gap_token(token: str, what: str):
    token = token.strip()
    if token in ("s", "i"):
        return token
    if "." in token or "-" in token:
        return parse_perm(token, what)
    try:
        return parse_int(token, what)
    except SpecError:
        raise SpecError(f"{what}: '{token[:40]}' is not s, i, a positive integer or a permutation") from None


def parse_gaps(raw: str, n_gaps: int) -> tuple:
    """P: one token per gap or one for all. 's' interleave, 'i' identity, g a shuffle with g
    groups, or an explicit permutation ('1.0.3.2', runs 'a-b')."""
    parsed = [_gap_token(token, "chain P") for token in raw.split("/")]
    if len(parsed) == 1:
        return tuple(parsed) * n_gaps
    if len(parsed) != n_gaps:
        raise SpecError(f"chain P: {len(parsed)} tokens for {n_gaps} gaps (give one per gap, or one for all)")
    return tuple(parsed)


class Chain(Family):
    name = "chain"
    summary = "any chain of group convs and permutations"
    list_keys = {"W": "/", "G": "/", "k": "/", "s": "/", "P": "/", "tail": "/"}
    required = ("W", "G")
    defaults = {}
    stride_conv = None  # s= is a list, one stride per conv

    def parse_list(self, key, raw):
        if key == "P":
            return raw  # resolved once the number of gaps is known
        if key == "tail":
            return _gap_token(raw, "chain tail")
        return parse_int_list(raw, "/", f"chain {key}")

    def complete(self, config):
        W, G = config["W"], config["G"]
        n = len(G)
        if len(W) != n + 1:
            raise SpecError(f"chain: W lists {len(W)} widths for {n} convs (needs {n + 1})")
        k = config.get("k", (3,))
        if isinstance(k, int):
            k = (k,)
        if len(k) == 1:
            k = k + (1,) * (n - 1)
        elif len(k) != n:
            raise SpecError(f"chain k: {len(k)} kernel sides for {n} convs (give one per conv, or one for the first)")
        config["k"] = tuple(k)
        strides = config.get("s", (1,))
        if isinstance(strides, int):
            strides = (strides,)
        if len(strides) == 1:
            strides = tuple(strides) + (1,) * (n - 1)
        elif len(strides) != n:
            raise SpecError(f"chain s: {len(strides)} strides for {n} convs (give one per conv, or one for the first)")
        config["s"] = tuple(check_stride(v, "chain s") for v in strides)
        P = config.get("P", "s")
        config["P"] = parse_gaps(P, n - 1) if isinstance(P, str) else tuple(P)
        if len(config["P"]) != n - 1:
            raise SpecError(f"chain P: {len(config['P'])} tokens for {n - 1} gaps")
        tail = config.get("tail", "i")
        config["tail"] = _gap_token(tail, "chain tail") if isinstance(tail, str) and tail not in ("s", "i") else tail

    def validate(self, config):
        W, G, P = config["W"], config["G"], config["P"]
        for i, g in enumerate(G):
            check_divides(g, W[i], f"chain conv {i + 1} input")
            check_divides(g, W[i + 1], f"chain conv {i + 1} output")
        for i, gap in enumerate((*P, config.get("tail", "i"))):
            what = f"chain gap {i + 1}" if i < len(P) else "chain tail"
            if not (gap in ("s", "i") or isinstance(gap, (int, tuple))) or isinstance(gap, bool):
                raise SpecError(f"{what}: {gap!r} is not s, i, a shuffle group count or a permutation")
            if isinstance(gap, int) and gap <= 0:
                raise SpecError(f"{what}: shuffle groups must be positive, got {gap}")
            if isinstance(gap, int):
                check_divides(gap, W[i + 1], f"{what} shuffle")
            elif isinstance(gap, tuple) and not _is_permutation(gap, W[i + 1]):
                raise SpecError(f"{what}: not a permutation of {W[i + 1]} channels")

    def chain(self, W, G, k, P, tail="i", s=None, **_):
        return make_chain(list(W), list(G), list(k), list(P), tail=None if tail == "i" else tail,
                          strides=list(s) if s else None)

    def width(self, config):
        return config["W"][0]

    def spec(self, config):
        P = config["P"]
        tokens = [_token_text(t) for t in P]
        if tokens and all(t == tokens[0] for t in tokens):
            tokens = tokens[:1]
        parts = [
            "W=" + "/".join(map(str, config["W"])),
            "G=" + "/".join(map(str, config["G"])),
            "k=" + "/".join(map(str, config["k"])),
        ]
        strides = config.get("s") or ()
        if any(v != 1 for v in strides):
            parts.append("s=" + "/".join(map(str, strides)))
        if tokens:
            parts.append("P=" + "/".join(tokens))
        tail = config.get("tail", "i")
        if tail != "i":
            parts.append("tail=" + _token_text(tail))
        return "chain:" + ",".join(parts)


def _is_permutation(perm: tuple, width: int) -> bool:
    """Every index 0 … width − 1 exactly once (one byte per channel, no sorted copy)."""
    if len(perm) != width:
        return False
    seen = bytearray(width)
    for v in perm:
        if type(v) is not int or not 0 <= v < width or seen[v]:
            return False
        seen[v] = 1
    return True


def _token_text(gap) -> str:
    return perm_token(gap) if isinstance(gap, tuple) else str(gap)


def chain_spec(chain: Sequence) -> str:
    """The canonical chain spec of any chain of group convs and permutations, gaps written as
    tokens (an explicit or composed permutation inline), so that parsing it gives a chain with
    the same convs, the same channel order in every gap, and the same counts."""
    from igcdesign.layers import GroupConv, Permute

    chain = tuple(chain)
    conv_at = [i for i, layer in enumerate(chain) if isinstance(layer, GroupConv)]
    if not conv_at or conv_at[0] != 0:
        raise SpecError("a chain spec starts with a conv")
    convs = [chain[i] for i in conv_at]
    gaps = []
    for n, i in enumerate(conv_at):
        end = conv_at[n + 1] if n + 1 < len(conv_at) else len(chain)
        between = [layer for layer in chain[i + 1:end] if isinstance(layer, Permute)]
        gaps.append(_gap_of(between, int(convs[n].groups), int(convs[n].cout)))
    config = {
        "W": tuple([int(convs[0].cin)] + [int(c.cout) for c in convs]),
        "G": tuple(int(c.groups) for c in convs),
        "k": tuple(int(c.k) for c in convs),
        "s": tuple(int(c.stride) for c in convs),
        "P": tuple(gaps[:-1]),
        "tail": gaps[-1],
    }
    return Chain().spec(config)


def _gap_of(layers: Sequence, groups: int, width: int):
    """The token of the permutations between two convs: i, s, a shuffle count, or their composition."""
    if not layers:
        return "i"
    if len(layers) == 1 and layers[0].perm is None:
        g = int(layers[0].groups)
        return "s" if g == groups else g
    order = list(range(width))
    for layer in layers:  # output j of a layer is its input index_map()[j]
        step = layer.index_map()
        order = [order[step[j]] for j in range(width)]
    return tuple(order)
