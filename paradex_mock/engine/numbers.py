"""Decimal helpers: money and sizes are Decimal inside, strings on the wire."""
from decimal import Decimal, InvalidOperation, ROUND_DOWN, ROUND_HALF_EVEN, getcontext

getcontext().prec = 40

ZERO = Decimal(0)
ONE = Decimal(1)


def to_decimal(value) -> Decimal:
    """Parse a client-supplied number; raises ValueError for anything not a finite decimal."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    elif isinstance(value, (int, str)):
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        raise ValueError(f"not a number: {value!r}")
    if not d.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return d


def fmt(d) -> str:
    """Paradex-style decimal string: no exponent, no trailing zeros ("0.001", "26000")."""
    if d is None:
        return ""
    if not isinstance(d, Decimal):
        d = Decimal(d)
    if d == 0:
        return "0"
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def on_step(value: Decimal, step: Decimal) -> bool:
    return (value % step) == 0


def round_step(value: Decimal, step: Decimal, rounding=ROUND_HALF_EVEN) -> Decimal:
    return (value / step).quantize(ONE, rounding=rounding) * step


def floor_step(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).quantize(ONE, rounding=ROUND_DOWN) * step
