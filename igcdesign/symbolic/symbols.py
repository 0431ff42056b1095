"""The sympy symbols of the notation (docs/conventions.md §1), all positive."""

import sympy as sp

k, S = sp.symbols("k S", positive=True)
T, Q = sp.symbols("T Q", positive=True)
C, G, L, M = sp.symbols("C G L M", positive=True)
t, G1, G2, Cout, Cint = sp.symbols("t G1 G2 C_out C_int", positive=True)
P = sp.Symbol("P", positive=True)  # output positions H·W
n = sp.Symbol("n", positive=True)  # number of 1×1 group convs in channel-wise IGCV2
K = sp.IndexedBase("K", positive=True)
l = sp.Idx("l")  # noqa: E741 — the papers' layer index


def branch_symbols(count: int) -> tuple:
    """K1, K2, … Kcount: branch sizes of an IGCV2 chain of `count` group convs."""
    return sp.symbols(f"K1:{count + 1}", positive=True)


def in_S(expr):
    """Write k² as S, the number of spatial taps."""
    return sp.sympify(expr).subs(k**2, S)
