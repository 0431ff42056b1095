"""Explicit gap permutations from a JSON file (`check --perm-file`), validated before use."""

from __future__ import annotations

from typing import Sequence

from igcdesign.errors import IGCError, shown
from igcdesign.layers import GroupConv, Permute

MAX_PERM_FILE_BYTES = 48 << 20  # one full-width gap (2^22 channels) written as JSON fits


def gap_widths(chain: Sequence) -> list[int]:
    """Channels at each gap between consecutive convs of a chain."""
    convs = [layer for layer in chain if isinstance(layer, GroupConv)]
    return [int(c.cout) for c in convs[:-1]]


def read_perm_file(path: str) -> list:
    """The JSON document of a perm file: one list of channel indices per gap (unvalidated).

    Only a regular file of at most MAX_PERM_FILE_BYTES is read (/dev/zero, a FIFO or a directory
    is refused before reading), and integers of more than 19 digits are refused unconverted.
    """
    from igcdesign.files import load_json, read_user_text

    return load_json(read_user_text(path, "--perm-file", MAX_PERM_FILE_BYTES), f"--perm-file {shown(path)}")


def validate_perms(doc, widths: Sequence[int]) -> list[tuple[int, ...]]:
    """Each entry a true permutation of range(width) of its gap; IGCError naming the first fault."""
    if not isinstance(doc, list) or not all(isinstance(p, list) for p in doc):
        raise IGCError("perm file: expected a JSON list of index lists, one per gap")
    if len(doc) != len(widths):
        raise IGCError(f"perm file: {len(doc)} permutations for {len(widths)} gaps between convs")
    perms = []
    for gap, (perm, width) in enumerate(zip(doc, widths), start=1):
        if len(perm) != width:
            raise IGCError(f"perm file gap {gap}: {len(perm)} indices for {width} channels")
        if not all(type(v) is int for v in perm):
            raise IGCError(f"perm file gap {gap}: indices must be integers")
        seen = bytearray(width)
        for v in perm:
            if not 0 <= v < width or seen[v]:
                what = "repeated" if 0 <= v < width else "out of range"
                raise IGCError(f"perm file gap {gap}: index {v} is {what} (not a permutation of 0..{width - 1})")
            seen[v] = 1
        perms.append(tuple(perm))
    return perms


def with_perms(chain: Sequence, perms: Sequence[tuple[int, ...]]) -> tuple:
    """The chain with every gap's permutations replaced by the given explicit ones (output j = input perm[j]).

    Layers before the first conv and after the last (e.g. IGCV1's permute-back) are kept.
    """
    chain = tuple(chain)
    conv_at = [i for i, layer in enumerate(chain) if isinstance(layer, GroupConv)]
    if len(perms) != len(conv_at) - 1:
        raise IGCError(f"{len(perms)} permutations for {len(conv_at) - 1} gaps between convs")
    out = list(chain[: conv_at[0]])
    for n, i in enumerate(conv_at):
        out.append(chain[i])
        if n < len(perms):
            out.append(Permute(chain[i].cout, perm=tuple(perms[n]), name=f"permutation {n + 1} (file)"))
    out.extend(chain[conv_at[-1] + 1:])
    return tuple(out)


def load_perms(path: str, chain: Sequence) -> tuple:
    """Read, validate and apply a perm file to a chain."""
    return with_perms(chain, validate_perms(read_perm_file(path), gap_widths(chain)))
