"""Decimal helpers: money and sizes are Decimal inside, strings on the wire."""
import re
from decimal import Decimal, InvalidOperation, ROUND_DOWN, ROUND_HALF_EVEN, getcontext

getcontext().prec = 40

ZERO = Decimal(0)
ONE = Decimal(1)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def to_decimal(value) -> Decimal:
    """Parse a client-supplied number; raises ValueError for anything not a finite decimal."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool) or value is None:
        raise ValueError("not a number")
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        # plain ASCII decimals only: Decimal() also reads "١٢", "５００００", "1_000" and " 1 "
        if not _DECIMAL.fullmatch(value):
            raise ValueError("not a decimal number")
        try:
            d = Decimal(value)
        except InvalidOperation:
            raise ValueError("not a decimal number") from None
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        raise ValueError("not a number")
    if not d.is_finite():
        raise ValueError("not a finite number")
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
