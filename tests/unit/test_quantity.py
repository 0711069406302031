"""resource.Quantity: parsing, comparison and the canonical form the API server writes back."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kybernetes.api import quantity as q
from kybernetes.api.quantity import FORMAT_ERROR, SUFFIX_ERROR, Quantity, canonical, compare, parse_quantity, round_up

# (input, canonical) pairs; the right-hand sides are what upstream serialises.
CANONICAL = [
    ("1000m", "1"),
    ("1024Mi", "1Gi"),
    ("0.5", "500m"),
    ("1", "1"),
    ("0", "0"),
    ("-0", "0"),
    ("100m", "100m"),
    ("1.5", "1500m"),
    ("1500", "1500"),
    ("1500000", "1500k"),
    ("2000000", "2M"),
    ("1Gi", "1Gi"),
    ("1536Mi", "1536Mi"),
    ("0.5Gi", "512Mi"),
    ("1.5Ki", "1536"),  # not a whole number of KiB -> decimal
    ("0.1Ki", "102400m"),
    ("512", "512"),
    ("1e3", "1e3"),
    ("1.5e3", "1500"),
    ("12e6", "12e6"),
    ("1E", "1E"),
    ("10E", "10E"),
    ("0.0000000001", "1n"),  # rounded up to nano precision
    ("0.001m", "1u"),
    ("1n", "1n"),
    ("5Ei", "5Ei"),
    ("-1Ki", "-1Ki"),
    ("1023Ki", "1023Ki"),
    ("128974848", "128974848"),
    ("129e6", "129e6"),
    ("129M", "129M"),
    ("123Mi", "123Mi"),
    ("1.", "1"),
    (".5", "500m"),
    ("+2", "2"),
    ("1000Ei", "9223372036854775807"),  # binary values are capped at 2^63-1
]


@pytest.mark.parametrize("text,expected", CANONICAL)
def test_canonical(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_numbers_are_quantities_too() -> None:
    assert canonical(1) == "1"
    assert canonical(0.25) == "250m"
    assert canonical(2048) == "2048"


@pytest.mark.parametrize("bad", ["", "abc", "1.2.3", " 1", "1 ", "1KiB", "1Qi", "1.5.", "1e3.5", "0x10"])
def test_invalid_format(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_quantity(bad)
    assert str(err.value) == FORMAT_ERROR
    assert str(err.value) == "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


@pytest.mark.parametrize("bad", ["1e", "1Ti5", "1mm", "1Kii", "5iK", "--1"])
def test_invalid_suffix(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_quantity(bad)
    assert str(err.value) == SUFFIX_ERROR


def test_upstream_quirks_are_kept() -> None:
    # upstream's parser accepts a bare sign, a dot or a suffix alone as zero ...
    assert parse_quantity("+") == 0 and parse_quantity(".") == 0 and parse_quantity("Ki") == 0
    # ... and has no SI suffix above E, so 3000E serialises without one (upstream prints "3")
    assert canonical("3000E") == "3"


def test_exact_values() -> None:
    assert parse_quantity("100m") == Fraction(1, 10)
    assert parse_quantity("1Ki") == 1024
    assert parse_quantity("1e-3") == Fraction(1, 1000)
    assert parse_quantity("1.5Gi") == 1536 * 1024 * 1024
    # rounding is away from zero, like upstream's inf.RoundUp
    assert parse_quantity("-0.0000000001") == Fraction(-1, 10**9)


def test_comparisons() -> None:
    assert compare("1", "1000m") == 0
    assert compare("2", "1") == 1
    assert compare("100Mi", "1Gi") == -1
    assert Quantity.parse("1Gi") > "1000Mi"
    assert Quantity.parse("1Gi") == Quantity.parse("1024Mi")
    assert Quantity.parse("500m") <= 1
    assert sorted(["1Gi", "500Mi", "2"], key=parse_quantity) == ["2", "500Mi", "1Gi"]


def test_round_up_to_milli() -> None:
    # what SetDefaults_ResourceList does to requests and limits
    assert round_up("0.0001") == "1m"
    assert round_up("1.5") == "1500m"
    assert round_up("100Mi") == "100Mi"
    assert round_up("0.5Ki") == "512"
    assert round_up("1.0001") == "1001m"


def test_milli_and_int_values() -> None:
    assert Quantity.parse("1.5").milli_value() == 1500
    assert Quantity.parse("1.5").int_value() == 2
    assert Quantity.parse("0.0001").milli_value() == 1


# --- properties --------------------------------------------------------------------------------

DEC_SUFFIXES = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"]
BIN_SUFFIXES = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


@st.composite
def quantities(draw) -> str:
    sign = draw(st.sampled_from(["", "-", "+"]))
    whole = draw(st.integers(min_value=0, max_value=10**7))
    frac = draw(st.one_of(st.just(""), st.integers(min_value=0, max_value=999_999).map(lambda x: "." + str(x))))
    kind = draw(st.sampled_from(["dec", "bin", "exp"]))
    if kind == "dec":
        suffix = draw(st.sampled_from(DEC_SUFFIXES))
    elif kind == "bin":
        suffix = draw(st.sampled_from(BIN_SUFFIXES))
    else:
        suffix = draw(st.sampled_from(["e", "E"])) + str(draw(st.integers(min_value=-9, max_value=12)))
    return f"{sign}{whole}{frac}{suffix}"


LIMIT = 10**21  # above this upstream's DecimalSI form loses its suffix (see test_upstream_quirks_are_kept)


@settings(max_examples=400)
@given(quantities())
def test_canonical_is_idempotent(s: str) -> None:
    assume(abs(parse_quantity(s)) < LIMIT)
    c = canonical(s)
    assert canonical(c) == c


@settings(max_examples=400)
@given(quantities())
def test_canonical_keeps_the_value(s: str) -> None:
    value = parse_quantity(s)
    assume(abs(value) < LIMIT)
    assert parse_quantity(canonical(s)) == value


@settings(max_examples=300)
@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=-9, max_value=0))
def test_decimal_round_trip(mantissa: int, exponent: int) -> None:
    value = Fraction(mantissa) * Fraction(10) ** exponent
    text = canonical(q.parse(value))
    assert parse_quantity(text) == value
    if value:
        # canonical decimal strings use no fraction digits: an integer and an SI suffix
        assert "." not in text


@settings(max_examples=300)
@given(st.integers(min_value=1, max_value=2**40), st.sampled_from(BIN_SUFFIXES))
def test_binary_round_trip(n: int, suffix: str) -> None:
    text = canonical(f"{n}{suffix}")
    assert parse_quantity(text) == parse_quantity(f"{n}{suffix}") or parse_quantity(text) == 2**63 - 1
    assert text[-2:] in BIN_SUFFIXES or text.isdigit()


@settings(max_examples=200)
@given(quantities(), quantities())
def test_compare_is_consistent_with_values(a: str, b: str) -> None:
    va, vb = parse_quantity(a), parse_quantity(b)
    assert compare(a, b) == (va > vb) - (va < vb)
