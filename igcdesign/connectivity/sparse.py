"""Sparse exact path-count matrices for `quotient()`: COO entries, row-major, exact int64 counts.

A chain that splits into many independent components (channel-wise convs, identity gaps) has a
class-level matrix that is mostly zeros, e.g. a permutation matrix of 65,536 classes; holding
only its non-zero entries keeps such chains as cheap as dense, well-mixed ones. Every function
here is exact: hashes only propose which rows are equal, and every proposal is verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from igcdesign.errors import IGCError

# Non-zero class-level entries we are willing to hold (16 bytes each) and terms we are willing to
# add up in one product. Both are documented in `check --help`.
MAX_ENTRIES = 1 << 24
MAX_TERMS = 1 << 28
_CHUNK = 1 << 22  # terms per vectorised step, to bound temporaries
_DENSE = 1 << 24  # cells of a dense operand or accumulator (8 bytes each): at most 128 MiB
_BLAS_RATIO = 256  # use BLAS when the dense product needs at most this many times the sparse terms


@dataclass
class Coo:
    """An nrows × ncols matrix of non-negative ints: entries sorted by (row, col), none zero, none repeated.

    row and col are int32 (classes never exceed the 2^22-channel width limit), val is int64.
    """

    nrows: int
    ncols: int
    row: object
    col: object
    val: object

    @property
    def nnz(self) -> int:
        return int(len(self.val))

    def indptr(self):
        """Start of each row's entries (length nrows + 1)."""
        import numpy as np

        return np.concatenate(([0], np.cumsum(np.bincount(self.row, minlength=self.nrows)))).astype(np.int64)

    def min(self) -> int:
        """The smallest entry, 0 when any cell has no entry."""
        return 0 if self.nnz < self.nrows * self.ncols else int(self.val.min())

    def max(self) -> int:
        return int(self.val.max()) if self.nnz else 0

    def col_counts(self):
        """Non-zero entries per column."""
        import numpy as np

        return np.bincount(self.col, minlength=self.ncols)

    def toarray(self):
        import numpy as np

        out = np.zeros((self.nrows, self.ncols), dtype=np.int64)
        out[self.row, self.col] = self.val
        return out

    def transpose(self) -> "Coo":
        import numpy as np

        # Entries are in row order, so a stable sort by column gives (col, row) order.
        col = self.col.astype(np.uint16) if self.ncols <= 1 << 16 else self.col  # radix sort when it fits
        order = np.argsort(col, kind="stable")
        return Coo(self.ncols, self.nrows, self.col[order], self.row[order], self.val[order])


def identity(n: int) -> Coo:
    import numpy as np

    idx = np.arange(n, dtype=np.int32)
    return Coo(n, n, idx, idx.copy(), np.ones(n, dtype=np.int64))


def from_dense(dense) -> Coo:
    import numpy as np

    row, col = np.nonzero(dense)
    return Coo(dense.shape[0], dense.shape[1], row.astype(np.int32), col.astype(np.int32),
               dense[row, col].astype(np.int64))


def _sum_by_key(keys, vals):
    """(distinct keys ascending, summed values) in int64."""
    import numpy as np

    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]
    heads = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    return keys[heads], np.add.reduceat(vals, heads) if len(vals) else vals


def _check_entries(nnz: int, where: str) -> None:
    if nnz > MAX_ENTRIES:
        raise IGCError(
            f"at {where} the chain has more than {MAX_ENTRIES:,} distinct connected path profiles "
            "(non-zero class-level path counts), beyond the limit of check"
        )


def _chunks(a, lengths, terms: int) -> list[int]:
    """Triple indices that cut the triples into chunks of about _CHUNK terms, at starts of rows
    (runs of equal a) where possible, so that chunks hold disjoint rows."""
    import numpy as np

    ends = np.cumsum(lengths)
    cuts = np.unique(np.searchsorted(ends, np.arange(_CHUNK, terms, _CHUNK), side="right"))
    row_start = np.flatnonzero(np.concatenate(([True], a[1:] != a[:-1])))
    bounds = [0]
    for cut in cuts.tolist():
        snapped = int(row_start[np.searchsorted(row_start, cut, side="right") - 1])
        cut = snapped if snapped > bounds[-1] else cut  # a single row longer than a chunk is split
        if bounds[-1] < cut < len(a):
            bounds.append(cut)
    return bounds + [len(a)]


def product(m: Coo, a, k, n, groups: int, float_exact: bool, where: str = "a conv") -> Coo:
    """M' (groups × m.ncols) with M'[a] = Σ n·M[k] over the triples (a, k, n), a sorted ascending.

    Terms n·M[k, c] are gathered in bounded chunks and summed per cell: into a dense int64 array
    when the result has few cells, else by sorting. When the terms far outnumber the cells of
    dense operands, N·M is one BLAS product in float64 instead, exact because every path count
    (hence every partial sum) is below 2^53 (`float_exact`).
    """
    import numpy as np

    ptr = m.indptr()
    lengths = ptr[k + 1] - ptr[k]
    terms = int(lengths.sum())
    cells = groups * m.ncols
    if (float_exact and terms * _BLAS_RATIO >= groups * m.nrows * m.ncols
            and max(groups * m.nrows, m.nrows * m.ncols, cells) <= _DENSE):
        left = np.zeros((groups, m.nrows), dtype=np.float64)
        left[a, k] = n
        right = np.zeros((m.nrows, m.ncols), dtype=np.float64)
        right[m.row, m.col] = m.val
        out = from_dense(np.rint(left @ right).astype(np.int64))
        _check_entries(out.nnz, where)
        return out
    if terms > MAX_TERMS:
        raise IGCError(
            f"at {where} the chain needs {terms:,} path terms, beyond the {MAX_TERMS:,}-term limit of check"
        )
    dense = np.zeros(cells, dtype=np.int64) if cells <= _DENSE else None
    bounds = _chunks(a, lengths, terms)
    keys_out, vals_out, held = [], [], 0
    for s, e in zip(bounds[:-1], bounds[1:]):
        ll = lengths[s:e]
        total = int(ll.sum())
        if total == 0:
            continue
        which = np.repeat(np.arange(e - s), ll)
        starts = np.cumsum(ll) - ll
        src = ptr[k[s:e]][which] + (np.arange(total) - starts[which])
        keys, vals = a[s:e][which] * m.ncols + m.col[src], n[s:e][which] * m.val[src]
        if dense is not None:
            np.add.at(dense, keys, vals)
            continue
        keys, vals = _sum_by_key(keys, vals)
        held += len(keys)
        _check_entries(held, where)
        keys_out.append(keys)
        vals_out.append(vals)
    if dense is not None:
        out = from_dense(dense.reshape(groups, m.ncols))
        _check_entries(out.nnz, where)
        return out
    if not keys_out:
        empty = np.zeros(0, dtype=np.int32)
        return Coo(groups, m.ncols, empty, empty.copy(), np.zeros(0, dtype=np.int64))
    keys, vals = np.concatenate(keys_out), np.concatenate(vals_out)
    if any(a[b] == a[b - 1] for b in bounds[1:-1]):  # a row split between chunks: add its parts
        keys, vals = _sum_by_key(keys, vals)
    return Coo(groups, m.ncols, (keys // m.ncols).astype(np.int32), (keys % m.ncols).astype(np.int32), vals)


def _row_hashes(m: Coo, seed: int):
    """A 64-bit hash per row of its (col, val) entries; equal rows hash equal (int64 arithmetic wraps)."""
    import numpy as np

    rng = np.random.default_rng(0x16C + seed)
    proj = rng.integers(1, 1 << 62, size=m.ncols, dtype=np.int64)
    terms = m.val * proj[m.col] + proj[(m.col + 1) % m.ncols]
    out = np.zeros(m.nrows, dtype=np.int64)
    ptr = m.indptr()
    filled = np.flatnonzero(ptr[1:] > ptr[:-1])
    if len(filled):
        out[filled] = np.add.reduceat(terms, ptr[filled])
    return out


def _same_as(m: Coo, ptr, rep_of_row) -> bool:
    """Does every row equal the row rep_of_row[row], entry for entry?"""
    import numpy as np

    lengths = ptr[1:] - ptr[:-1]
    if not np.array_equal(lengths, lengths[rep_of_row]):
        return False
    offset = np.arange(m.nnz) - ptr[m.row]
    twin = ptr[rep_of_row[m.row]] + offset
    return bool(np.array_equal(m.col, m.col[twin]) and np.array_equal(m.val, m.val[twin]))


def _by_first_member(labels):
    """Relabel classes 0..n-1 in order of their first member: (classes, first member of each class)."""
    import numpy as np

    ncls = int(labels.max()) + 1 if len(labels) else 0
    first = np.full(ncls, len(labels), dtype=np.int64)
    np.minimum.at(first, labels, np.arange(len(labels)))
    order = np.argsort(first)
    rank = np.empty(ncls, dtype=np.int64)
    rank[order] = np.arange(ncls)
    return rank[labels], first[order]


def _exact_classes(m: Coo, ptr):
    """Row labels by sorting padded rows (no hashing): the fallback when hashes collide."""
    import numpy as np

    lengths = ptr[1:] - ptr[:-1]
    width = int(lengths.max()) if m.nrows else 0
    sig = np.full((m.nrows, 1 + 2 * width), -1, dtype=np.int64)
    sig[:, 0] = lengths
    slot = np.arange(m.nnz) - ptr[m.row]
    sig[m.row, 1 + 2 * slot] = m.col
    sig[m.row, 2 + 2 * slot] = m.val
    _, inverse = np.unique(sig, axis=0, return_inverse=True)
    return inverse.reshape(-1)


def row_classes(m: Coo):
    """(class of each row, first row of each class): equal rows share a class, classes numbered
    in order of their first row. Exact: hash groups are verified entry by entry."""
    import numpy as np

    ptr = m.indptr()
    for seed in range(3):
        h = _row_hashes(m, seed)
        order = np.argsort(h)
        hs = h[order]
        new = np.concatenate(([True], hs[1:] != hs[:-1]))
        if new.all():  # distinct hashes: distinct rows, nothing to verify
            every = np.arange(m.nrows, dtype=np.int64)
            return every, every.copy()
        labels = np.empty(m.nrows, dtype=np.int64)
        labels[order] = np.cumsum(new) - 1
        classes, first = _by_first_member(labels)
        if _same_as(m, ptr, first[classes]):
            return classes, first
    return _by_first_member(_exact_classes(m, ptr))


def dedup_rows(m: Coo):
    """(matrix of the distinct rows, class of each row): row c of the result is class c's row."""
    import numpy as np

    classes, first = row_classes(m)
    is_first = np.zeros(m.nrows, dtype=bool)
    is_first[first] = True
    keep = is_first[m.row]
    # first rows ascend with their class, so the kept entries stay in (row, col) order
    return Coo(len(first), m.ncols, classes[m.row[keep]].astype(np.int32), m.col[keep], m.val[keep]), classes


def dedup_cols(m: Coo):
    """(matrix of the distinct columns, class of each column)."""
    t, classes = dedup_rows(m.transpose())
    return t.transpose(), classes
