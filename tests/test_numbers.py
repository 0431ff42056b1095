"""Budget parsing: every documented spelling, exactly, and every bad one refused."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igcdesign.errors import IGCError
from igcdesign.numbers import MAX_BUDGET, parse_count


@pytest.mark.parametrize(
    "text, value",
    [("4672", 4672), ("1e6", 10**6), ("1E6", 10**6), ("1e+6", 10**6), ("1_000_000", 10**6), ("2.5M", 2_500_000),
     ("17.5k", 17_500), ("1.25e3", 1250), ("0.5k", 500), ("1e18", 10**18), ("3T", 3 * 10**12), ("2.0", 2)],
)
def test_spellings(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize(
    "text",
    ["", "0", "-5", "1.5", "nan", "inf", "1e400", "1e30", "abc", "1__0", "_1", "1_", "1e", "e6", "1.e3", ".5",
     "1e-3", "2.5.5", "0x10", "1 000", "1e9999", "0.0", "1e19", "0e5", "M"],
)
def test_refused(text):
    with pytest.raises(IGCError):
        parse_count(text)


@given(st.integers(1, MAX_BUDGET))
def test_plain_integers_round_trip(n):
    assert parse_count(str(n)) == n
    assert parse_count(f"{n:_}") == n


@given(st.integers(1, 10**9), st.integers(0, 9))
def test_scientific_notation_is_exact(mantissa, exponent):
    text = f"{mantissa}e{exponent}"
    expected = Fraction(mantissa) * 10**exponent
    if expected > MAX_BUDGET:
        with pytest.raises(IGCError):
            parse_count(text)
    else:
        assert parse_count(text) == expected
