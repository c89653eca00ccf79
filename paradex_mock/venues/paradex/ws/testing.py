"""Testing Paradex's WS API: a JSON-RPC client that also reads SBE frames.

With ``RpcClient(url + "?sbeSchemaId=1&sbeSchemaVersion=3")`` the data channels arrive as
Paradex SBE binary frames; the client decodes them (``decode_sbe``) into the same notification
shape, so ``notification(channel)`` works unchanged: ``data`` holds the frame's fields under the
JSON payload's keys (decimals as strings, timestamps in ms), and the frame itself, decoded with
the schema's own field names, is the message's ``"sbe"`` (``sbe.decode``'s dict, with ``raw``:
the bytes). Binary frames are counted in ``binary_frames``. Everything else is the shared
``paradex_mock.ws.testing.RpcClient``.
"""
from __future__ import annotations

from typing import Optional

from ....ws import testing as ws_testing
from . import sbe as sbe_codec


class RpcClient(ws_testing.RpcClient):
    """The shared JSON-RPC client, decoding Paradex's SBE frames (see the module docstring)."""

    def decode_binary(self, frame: bytes) -> dict:
        return decode_sbe(frame, self.subscribed)


def sbe_channel(message: str, market: Optional[str], subscribed=(), book_feed: Optional[str] = None) -> str:
    """The subscription an SBE frame belongs to (frames name their market, not their channel):
    the first of ``subscribed`` it fits (``trades.{market}`` before ``trades.ALL``, any
    ``order_book.{market}.*``, that of ``book_feed`` first), else ``{kind}.{market}`` (bare for
    positions and account). Two order-book subscriptions of one market with the same feed
    cannot be told apart: the first is named."""
    kind = sbe_codec.BY_NAME[message].channel
    exact = f"{kind}.{market}"
    if kind == "order_book" and book_feed is not None:
        for name in subscribed:
            if name.startswith(f"order_book.{market}.{book_feed}@"):
                return name
    for name in subscribed:
        if name == exact or (kind == "order_book" and (name.startswith(f"order_book.{market}.")
                                                      or name == f"orderbook.{market}")):
            return name
    for name in subscribed:
        if name in (f"{kind}.ALL", kind):
            return name
    return kind if kind in ("positions", "account") or market is None else exact


def decode_sbe(frame: bytes, subscribed=()) -> dict:
    """An SBE frame as a notification: ``{"jsonrpc", "method": "subscription", "params":
    {"channel", "data"}, "sbe": <sbe.decode(frame)> + raw}``; ``data`` has the JSON payload's keys
    for every field the frame carries (see the module docstring)."""
    d = sbe_codec.decode(frame)
    msg = sbe_codec.BY_TEMPLATE[d["template"]]
    fields = d["fields"]
    data = {}
    for f in msg.fields + msg.data:
        if isinstance(f.src, str) and f.name in fields and f.src not in data:
            data[f.src] = fields[f.name]
    if msg.name == "PositionEvent":           # absolute on the wire, signed in JSON
        data["size"] = fields["size"] if fields["side"] != "SHORT" or fields["size"] == "0" else "-" + fields["size"]
    elif msg.name == "FillEvent":
        data["trade_id"] = fields.get("tradeId")
    elif msg.name == "BookEvent":
        data["bids"], data["asks"] = d["bids"], d["asks"]
        if data["update_type"] == "s":
            data["inserts"] = ([{"side": "BUY", "price": p, "size": q} for p, q in d["bids"]]
                               + [{"side": "SELL", "price": p, "size": q} for p, q in d["asks"]])
    feed = None
    if msg.name == "BookEvent":   # the interactive feed's frames carry best levels, a delta is a delta
        feed = ("interactive" if fields["bestBidApiPrice"] is not None or fields["bestAskApiPrice"] is not None
                else "deltas" if fields["pkgType"] == "d" else None)
    channel = sbe_channel(msg.name, d["market"], subscribed, feed)
    return {"jsonrpc": "2.0", "method": "subscription", "params": {"channel": channel, "data": data},
            "sbe": dict(d, raw=frame)}
