"""OKX v5's wire shapes: every number a string without trailing zeros ("95000.1", "0.0001"),
times in milliseconds as strings; SWAP sizes in contracts (base size / ctVal), SWAP volumes both
in contracts (``vol``) and base units (``volCcy``). Book checksums are OKX's: CRC32 (signed) of
the first 25 bid and ask levels interleaved, ``bidPx:bidSz:askPx:askSz:...``, as sent."""
from __future__ import annotations

import zlib
from decimal import Decimal

from ...engine import candles as cdl

ZERO = Decimal(0)
HOUR_MS = 3_600_000
HK_MS = 8 * HOUR_MS          # OKX's plain bars of 6H and up open on Hong Kong time (UTC+8)

# OKX bar -> (engine width, offset ms): the UTC bars are the engine's own widths; the Hong Kong
# ones are the same grid shifted by 8 hours
BARS = {"1m": ("1m", 0), "3m": ("3m", 0), "5m": ("5m", 0), "15m": ("15m", 0), "30m": ("30m", 0),
        "1H": ("1h", 0), "2H": ("2h", 0), "4H": ("4h", 0),
        "6Hutc": ("6h", 0), "12Hutc": ("12h", 0), "1Dutc": ("1d", 0), "1Wutc": ("1w", 0), "1Mutc": ("1M", 0),
        "6H": ("6h", HK_MS), "12H": ("12h", HK_MS), "1D": ("1d", HK_MS), "1W": ("1w", HK_MS), "1M": ("1M", HK_MS)}


def plain(x) -> str:
    d = Decimal(x if x is not None else 0)
    if d == 0:
        return "0"
    return format(d.normalize(), "f")


def ct_val(market) -> Decimal:
    return Decimal(market.spec["ctVal"]) if market.kind != "spot" else Decimal(1)


def sz(market, base_size) -> str:
    """A size as OKX counts it: base units (SPOT) or contracts (SWAP)."""
    return plain(Decimal(base_size) / ct_val(market))


def levels(market, rows, depth: int) -> list:
    return [[plain(p), sz(market, q), "0", "1"] for p, q in rows[:depth]]


def checksum(bids: list, asks: list) -> int:
    parts = []
    for i in range(25):
        if i < len(bids):
            parts += [bids[i][0], bids[i][1]]
        if i < len(asks):
            parts += [asks[i][0], asks[i][1]]
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def candle_row(market, row: list, now: int, width, offset: int) -> list:
    r = row[1:]
    end = width.next(row[0] + offset) - offset
    volccy = r[cdl.V] if market.kind != "spot" else r[cdl.QV]
    return [str(row[0]), plain(r[cdl.O]), plain(r[cdl.H]), plain(r[cdl.L]), plain(r[cdl.C]), sz(market, r[cdl.V]),
            plain(volccy), plain(r[cdl.QV]), "0" if end > now else "1"]


def ticker(market, s, book, last_size, sod_utc0, sod_utc8) -> dict:
    b = book.bids[0] if book is not None and book.bids else (ZERO, ZERO)
    a = book.asks[0] if book is not None and book.asks else (ZERO, ZERO)
    spot = market.kind == "spot"
    return {"instType": "SPOT" if spot else "SWAP", "instId": market.name, "last": plain(s.last_price),
            "lastSz": sz(market, last_size or ZERO), "askPx": plain(a[0]), "askSz": sz(market, a[1]),
            "bidPx": plain(b[0]), "bidSz": sz(market, b[1]), "open24h": plain(s.open_24h), "high24h": plain(s.high_24h),
            "low24h": plain(s.low_24h), "volCcy24h": plain(s.quote_volume_24h if spot else s.volume_24h),
            "vol24h": sz(market, s.volume_24h), "ts": str(s.created_at), "sodUtc0": plain(sod_utc0),
            "sodUtc8": plain(sod_utc8)}


def trade(market, t) -> dict:
    return {"instId": market.name, "side": "buy" if t.side == "BUY" else "sell", "sz": sz(market, t.size),
            "px": plain(t.price), "source": "0", "tradeId": str(t.seq), "ts": str(t.created_at)}


def next_funding_ms(now: int) -> int:
    period = 8 * HOUR_MS
    return now - now % period + period


def funding_rate(market, s, now: int) -> dict:
    rate = plain(Decimal(s.funding_rate).quantize(Decimal("1e-10")))
    nxt = next_funding_ms(now)
    premium = (s.mark_price - s.index_price) / s.index_price if s.index_price else ZERO
    return {"formulaType": "withRate", "fundingRate": rate, "fundingTime": str(nxt), "impactValue": "",
            "instId": market.name, "instType": "SWAP", "interestRate": "0.0001", "maxFundingRate": "0.0075",
            "method": "current_period", "minFundingRate": "-0.0075", "nextFundingRate": "",
            "nextFundingTime": str(nxt + 8 * HOUR_MS), "premium": plain(premium.quantize(Decimal("1e-8"))),
            "settFundingRate": rate, "settState": "settled", "sign": "", "ts": str(now)}


def mark_price(market, s) -> dict:
    return {"instType": "SWAP", "instId": market.name, "markPx": plain(s.mark_price), "ts": str(s.created_at)}


def instrument(spec: dict) -> dict:
    swap = spec["instType"] == "SWAP"
    return {"alias": "", "auctionEndTime": "", "baseCcy": "" if swap else spec["baseCcy"], "category": "1",
            "contTdSwTime": "", "ctMult": spec.get("ctMult", "") if swap else "", "ctType": "linear" if swap else "",
            "ctVal": spec["ctVal"] if swap else "", "ctValCcy": spec["ctValCcy"] if swap else "", "expTime": "",
            "futureSettlement": False, "instFamily": spec.get("instFamily", "") if swap else "",
            "instId": spec["instId"], "instType": spec["instType"], "lever": spec["lever"],
            "listTime": spec["listTime"], "lotSz": spec["lotSz"], "maxIcebergSz": spec["maxLmtSz"],
            "maxLmtAmt": spec["maxLmtAmt"], "maxLmtSz": spec["maxLmtSz"], "maxMktAmt": spec["maxMktAmt"],
            "maxMktSz": spec["maxMktSz"], "maxStopSz": spec["maxMktSz"], "maxTriggerSz": spec["maxLmtSz"],
            "maxTwapSz": spec["maxLmtSz"], "minSz": spec["minSz"], "openType": "", "optType": "",
            "quoteCcy": "" if swap else spec["quoteCcy"], "ruleType": "normal",
            "settleCcy": spec["settleCcy"] if swap else "", "state": "live", "stk": "", "tickSz": spec["tickSz"],
            "tradeQuoteCcyList": [] if swap else [spec["quoteCcy"]], "uly": spec.get("uly", "") if swap else ""}
