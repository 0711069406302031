"""Kubernetes ``resource.Quantity``: exact parsing, comparison and canonical form.

A quantity is a decimal number with an optional suffix: binary (``Ki`` .. ``Ei``),
decimal SI (``n u m k M G T P E``) or a decimal exponent (``e3``/``E-2``). The
API server decodes every quantity it receives and serialises it back in its
*canonical* form, so ``1000m`` is read back as ``1``, ``1024Mi`` as ``1Gi`` and
``0.5`` as ``500m``. This module mirrors that behaviour (it follows upstream's
parser step by step, including its quirks: values are rounded *up* to nano
precision, binary values are capped at 2^63-1, and numbers that are not whole
in base 1024 fall back to decimal SI).

Values are :class:`fractions.Fraction`, so every comparison is exact.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Union

__all__ = [
    "Quantity",
    "QuantityError",
    "FORMAT_ERROR",
    "SUFFIX_ERROR",
    "parse_quantity",
    "parse",
    "canonical",
    "compare",
    "round_up",
    "is_valid",
]

SPLIT_RE = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
FORMAT_ERROR = "quantities must match the regular expression '" + SPLIT_RE + "'"
SUFFIX_ERROR = "unable to parse quantity's suffix"
NUMERIC_ERROR = "unable to parse numeric part of quantity"

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_BIN_SUFFIX = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC_SUFFIX = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_BY_EXP = {v: k for k, v in _DEC_SUFFIX.items()}
_BIN_BY_EXP = {v: k for k, v in _BIN_SUFFIX.items()}
_BIN_BY_EXP[0] = ""

_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_NANO = 10**9
_MAX_BINARY = (1 << 63) - 1


class QuantityError(ValueError):
    """A string that is not a quantity; ``str(err)`` is upstream's message."""


Number = Union[int, float, str, Fraction]


class Quantity:
    """A parsed quantity: an exact ``value`` plus the ``format`` it was written in."""

    __slots__ = ("value", "format")

    def __init__(self, value: Fraction, fmt: str = DECIMAL_SI) -> None:
        self.value = value
        self.format = fmt

    @classmethod
    def parse(cls, s: Number) -> "Quantity":
        return parse(s)

    def canonical(self) -> str:
        return _canonical(self.value, self.format)

    def __str__(self) -> str:
        return self.canonical()

    def __repr__(self) -> str:
        return f"Quantity({self.canonical()!r})"

    def _cmp(self, other: object) -> Fraction:
        if isinstance(other, Quantity):
            return self.value - other.value
        if isinstance(other, (int, Fraction)):
            return self.value - other
        if isinstance(other, (str, float)):
            return self.value - parse(other).value
        raise TypeError(f"cannot compare Quantity with {type(other).__name__}")

    def __eq__(self, other: object) -> bool:
        try:
            return self._cmp(other) == 0
        except (TypeError, QuantityError):
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: object) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: object) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: object) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: object) -> bool:
        return self._cmp(other) >= 0

    def is_zero(self) -> bool:
        return self.value == 0

    def milli_value(self) -> int:
        """Like upstream's MilliValue: value*1000 rounded up (away from zero)."""
        return _ceil_away(self.value * 1000)

    def int_value(self) -> int:
        """Like upstream's Value: rounded up (away from zero) to an integer."""
        return _ceil_away(self.value)


def _as_text(s: Number) -> str:
    if isinstance(s, str):
        return s
    if isinstance(s, bool):
        raise QuantityError(FORMAT_ERROR)
    if isinstance(s, int):
        return str(s)
    if isinstance(s, float):
        if s != s or s in (float("inf"), float("-inf")):
            raise QuantityError(FORMAT_ERROR)
        text = repr(s)
        return text[:-2] if text.endswith(".0") else text
    raise QuantityError(FORMAT_ERROR)


def _ceil_away(x: Fraction) -> int:
    """Round away from zero to an integer (inf.RoundUp)."""
    n, d = x.numerator, x.denominator
    if n >= 0:
        return -((-n) // d)
    return n // d


def _split(s: str) -> tuple[bool, str, str, str, str]:
    """(positive, numerator digits, denominator digits, numeric text, suffix) or raise."""
    end = len(s)
    pos = 0
    positive = True
    if end and s[0] in "+-":
        positive = s[0] == "+"
        pos = 1
    # leading zeros
    while True:
        if pos >= end:
            return positive, "0", "", s, ""
        if s[pos] == "0":
            pos += 1
        else:
            break
    start = pos
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    num = s[start:pos] or "0"
    if pos >= end:
        return positive, num, "", s, ""
    denom = ""
    if s[pos] == ".":
        pos += 1
        dstart = pos
        while pos < end and s[pos] in _DIGITS:
            pos += 1
        denom = s[dstart:pos]
        if pos >= end:
            return positive, num, denom, s, ""
    value = s[:pos]
    sstart = pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos >= end:
        return positive, num, denom, value, s[sstart:]
    if s[pos] in "+-":
        pos += 1
    while pos < end:
        if s[pos] not in _DIGITS:
            raise QuantityError(FORMAT_ERROR)
        pos += 1
    return positive, num, denom, value, s[sstart:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    """(base, exponent, format) of a suffix, or raise the suffix error."""
    if suffix in _DEC_SUFFIX:
        return 10, _DEC_SUFFIX[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIX:
        return 2, _BIN_SUFFIX[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        body = suffix[1:]
        digits = body[1:] if body[0] in "+-" else body
        if digits and all(c in _DIGITS for c in digits):
            exp = int(body)
            if -(1 << 63) <= exp < (1 << 63):
                return 10, exp, DECIMAL_EXPONENT
    raise QuantityError(SUFFIX_ERROR)


def _parse(s: str) -> Quantity:
    if not s:
        raise QuantityError(FORMAT_ERROR)
    if s == "0":
        return Quantity(Fraction(0), DECIMAL_SI)
    positive, num, denom, _value, suffix = _split(s)
    base, exponent, fmt = _interpret(suffix)
    magnitude = Fraction(int(num + denom) if (num + denom) else 0, 10 ** len(denom))
    if base == 10:
        if exponent >= 0:
            magnitude *= 10**exponent
        else:
            magnitude /= 10 ** (-exponent)
    else:
        magnitude *= 1 << exponent
    if (magnitude * _NANO).denominator != 1:
        # upstream rounds up (away from zero) to nano precision
        magnitude = Fraction(_ceil_away(magnitude * _NANO), _NANO)
    if fmt == BINARY_SI and magnitude > _MAX_BINARY:
        magnitude = Fraction(_MAX_BINARY)
    if fmt == BINARY_SI and 0 < magnitude < 1:
        fmt = DECIMAL_SI
    return Quantity(magnitude if positive else -magnitude, fmt)


def _decimal_parts(value: Fraction) -> tuple[int, int]:
    """(mantissa, exponent) with value == mantissa * 10**exponent and exponent % 3 == 0."""
    exponent = 0
    v = value
    while v.denominator != 1:  # at most 9 steps: values carry nano precision at most
        v *= 10
        exponent -= 1
    mantissa = v.numerator
    if mantissa:
        sign = -1 if mantissa < 0 else 1
        m = abs(mantissa)
        while m >= 10 and m % 10 == 0:
            m //= 10
            exponent += 1
        mantissa = sign * m
    while exponent % 3:
        mantissa *= 10
        exponent -= 1
    return mantissa, exponent


def _canonical(value: Fraction, fmt: str) -> str:
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value.denominator != 1:
            fmt = DECIMAL_SI
        else:
            n = value.numerator
            sign = -1 if n < 0 else 1
            m = abs(n)
            exp = 0
            while m >= 1024 and m % 1024 == 0:
                m //= 1024
                exp += 1
            return str(sign * m) + _BIN_BY_EXP.get(exp * 10, "")
    mantissa, exponent = _decimal_parts(value)
    if fmt == DECIMAL_EXPONENT:
        return str(mantissa) + ("" if exponent == 0 else f"e{exponent}")
    # upstream emits no suffix at all for exponents it has no SI name for
    return str(mantissa) + _DEC_BY_EXP.get(exponent, "")


_CANON_CACHE: dict[str, str] = {}


_PARSE_CACHE: dict[str, Quantity] = {}


def parse(s: Number) -> Quantity:
    """Parse a quantity (string, JSON number or exact Fraction); raise :class:`QuantityError`.

    Parsed strings are cached: treat the returned Quantity as immutable.
    """
    if type(s) is str:
        hit = _PARSE_CACHE.get(s)
        if hit is None:
            hit = _parse(s)
            if len(_PARSE_CACHE) > 4096:
                _PARSE_CACHE.clear()
            _PARSE_CACHE[s] = hit
        return hit
    if isinstance(s, Quantity):
        return s
    if isinstance(s, Fraction):
        v = s
        if (v * _NANO).denominator != 1:
            v = Fraction(_ceil_away(v * _NANO), _NANO)
        return Quantity(v, DECIMAL_SI)
    return _parse(_as_text(s))


def parse_quantity(s: Number) -> Fraction:
    """The exact value of a quantity; raise ``ValueError`` with upstream's message."""
    return parse(s).value


def is_valid(s: object) -> bool:
    try:
        parse(s)  # type: ignore[arg-type]
    except (QuantityError, TypeError):
        return False
    return True


def canonical(s: Number) -> str:
    """Upstream's canonical string for a quantity: ``1000m`` -> ``1``, ``1024Mi`` -> ``1Gi``."""
    if isinstance(s, str):
        hit = _CANON_CACHE.get(s)
        if hit is not None:
            return hit
        out = parse(s).canonical()
        if len(_CANON_CACHE) > 4096:
            _CANON_CACHE.clear()
        _CANON_CACHE[s] = out
        return out
    return parse(s).canonical()


def round_up(s: Number, scale: int = -3) -> str:
    """Round a quantity up to 10**scale (upstream's RoundUp) and return its canonical string.

    The API server does this with scale -3 (milli) to every ResourceList it decodes.
    """
    q = parse(s)
    v = q.value
    step = Fraction(10) ** scale
    if (v / step).denominator != 1:
        v = _ceil_away(v / step) * step
    return _canonical(Fraction(v), q.format)


def compare(a: Number, b: Number) -> int:
    """-1, 0 or 1 like upstream's Cmp."""
    d = parse_quantity(a) - parse_quantity(b)
    return (d > 0) - (d < 0)
