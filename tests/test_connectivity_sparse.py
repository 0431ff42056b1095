"""The sparse class-level matrices behind analyze(): every way of forming a product and of merging
equal rows gives the brute-force path counts, and the size limits are one-line errors."""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.connectivity import analyze, sparse
from igcdesign.errors import IGCError
from test_connectivity_paths import brute_force, component_chains, random_chains

# How sparse.product and sparse.row_classes can be made to take each of their paths.
MODES = {
    "default": {},
    "blas": {"_BLAS_RATIO": 1 << 40},  # every product through BLAS (all are small here)
    "dense accumulate": {"_BLAS_RATIO": 0, "_CHUNK": 7},  # np.add.at into a dense array, chunked
    "sorted": {"_DENSE": 0, "_CHUNK": 5},  # sort-and-reduce, many chunks merged at the end
    "hash collisions": {"_row_hashes": lambda m, seed: np.zeros(m.nrows, dtype=np.int64)},
}


def _patched(mode: str) -> ExitStack:
    stack = ExitStack()
    for name, value in MODES[mode].items():
        stack.enter_context(mock.patch.object(sparse, name, value))
    return stack


@pytest.mark.parametrize("mode", list(MODES))
@settings(max_examples=40, deadline=None)
@given(chain=st.one_of(random_chains(4), component_chains(3)))
def test_every_product_path_matches_brute_force(mode, chain):
    p = brute_force(chain)
    with _patched(mode):
        r = analyze(chain, matrix=True, fix=False)
    assert np.array_equal(r.matrix, p)
    assert (r.paths_min, r.paths_max, r.disconnected_pairs) == (int(p.min()), int(p.max()), int((p == 0).sum()))
    assert r.histogram == [(int(v), int((p == v).sum())) for v in np.unique(p)]
    assert r.as_dict() == analyze(chain, fix=False).as_dict()


def _coo(dense) -> sparse.Coo:
    return sparse.from_dense(np.asarray(dense, dtype=np.int64))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=4, max_size=4), min_size=1, max_size=12))
def test_dedup_rows_and_cols_exactly(rows):
    dense = np.array(rows, dtype=np.int64)
    for mode in ("default", "hash collisions"):
        with _patched(mode):
            uniq, classes = sparse.dedup_rows(_coo(dense))
            uniq_t, classes_t = sparse.dedup_cols(_coo(dense))
        assert np.array_equal(uniq.toarray()[classes], dense)
        assert len(set(map(tuple, uniq.toarray()))) == uniq.nrows  # classes really distinct
        first = [classes.tolist().index(c) for c in range(uniq.nrows)]
        assert first == sorted(first)  # numbered by first member
        assert np.array_equal(uniq_t.toarray()[:, classes_t], dense)
        assert uniq_t.ncols == len(set(map(tuple, dense.T)))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2), min_size=3, max_size=3), min_size=1, max_size=6),
       st.integers(1, 5), st.randoms(use_true_random=False))
def test_product_is_the_matrix_product(rows, groups, rnd):
    m = np.array(rows, dtype=np.int64)
    counts = np.array([[rnd.randint(0, 2) for _ in range(m.shape[0])] for _ in range(groups)], dtype=np.int64)
    a, k = np.nonzero(counts)
    for mode in ("blas", "dense accumulate", "sorted"):
        with _patched(mode):
            out = sparse.product(_coo(m), a.astype(np.int64), k.astype(np.int64), counts[a, k], groups, True)
        assert np.array_equal(out.toarray(), counts @ m)
        order = np.lexsort((out.col, out.row))
        assert np.array_equal(order, np.arange(out.nnz)) and (out.val > 0).all()


def test_too_many_entries_or_terms_is_a_one_line_error():
    spec = "chain:W=64/64/64,G=64/64,P=i"  # 64 components: 64 non-zero class entries
    with mock.patch.object(sparse, "MAX_ENTRIES", 63), pytest.raises(IGCError, match="path profiles"):
        analyze(spec, fix=False)
    with mock.patch.object(sparse, "_DENSE", 0), mock.patch.object(sparse, "MAX_TERMS", 63), \
            pytest.raises(IGCError, match="term limit"):
        analyze(spec, fix=False)
    assert analyze(spec, fix=False).disconnected_pairs == 64 * 64 - 64  # C² − C: only i → i
