"""The ``order.*`` JSON-RPC methods: order entry and cancels over the WebSocket.

The HTTP side owns the exchange, so each method is carried out as the REST request it stands for
(``order.create`` is ``POST /v1/orders``, ``order.cancel`` is ``DELETE /v1/orders/{id}``, ...)
with the connection's JWT. Signature checks, replay protection, rate limits (shared with REST, as
on Paradex), injected faults and the request journal therefore apply exactly as they do to REST;
the journal marks these requests ``"via": "ws"``. The reply is the REST answer in the shape of
Paradex's WS result, and a refused request is a JSON-RPC error:

* 429 → 42901 rate limit exceeded; 401 (the JWT has expired since ``auth``) → 40111;
* any other 4xx → code 100 ("method error") with ``data`` = ``"<Paradex error code>: <message>"``;
* 5xx, or no answer → -32603 internal error.

Two transports carry the request: ``WsgiTransport`` calls the Flask app in this process (the
single-process modes), ``HttpTransport`` calls the HTTP server (``ws_server.py``). Both run the
blocking call in a worker thread, so the WS event loop never waits for the exchange.
"""
from __future__ import annotations

import asyncio
import urllib.parse
from decimal import Decimal
from typing import Any, Callable, Optional

from .protocol import INTERNAL_ERROR, INVALID_BEARER, INVALID_PARAMS, METHOD_ERROR, RATE_LIMITED, RpcError

from ....ws.rest import VIA_HEADER, Response, Unreachable


def _error_for(status: int, body: Any) -> RpcError:
    """The JSON-RPC error for a refused REST request."""
    message = body.get("message") if isinstance(body, dict) else None
    if status == 429:
        return RpcError(RATE_LIMITED, "rate limit exceeded", message or "rate limit exceeded")
    if status == 401:
        return RpcError(INVALID_BEARER, "invalid bearer token", message or "unauthorized")
    if 400 <= status < 500:
        code = body.get("error") if isinstance(body, dict) else None
        return RpcError(METHOD_ERROR, "method error", f"{code or status}: {message or ''}".rstrip(": "))
    return RpcError(INTERNAL_ERROR, "internal error", f"HTTP {status}: {message or ''}".rstrip(": "))


def _order_result(ack: dict) -> dict:
    # created_at in ms, received_at in ns, as Paradex's order.create result
    return {"order": ack, "created_at": ack.get("created_at"), "received_at": int(ack.get("received_at") or 0) * 1_000_000}


def _same_order(body: Any, ack: dict) -> bool:
    """Whether ``ack`` acknowledges the batch item ``body`` (REST lists acknowledgements and
    errors apart; the WS result is positional)."""
    if not isinstance(body, dict):
        return False
    for key in ("market", "side"):
        if body.get(key) != ack.get(key):
            return False
    if (body.get("client_id") or "") != ack.get("client_id", ""):
        return False
    try:
        return Decimal(str(body.get("size"))) == Decimal(ack.get("size") or "0")
    except ArithmeticError:
        return False


class OrderGateway:
    """Carries out ``order.*`` for a connection (see the module docstring)."""

    def __init__(self, transport: Callable[[str, str, Any, dict], Response]):
        self.transport = transport

    async def _call(self, bearer: Optional[str], method: str, path: str, body=None) -> Any:
        headers = {VIA_HEADER: "ws"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            status, data = await asyncio.to_thread(self.transport, method, path, body, headers)
        except Unreachable as e:
            raise RpcError(INTERNAL_ERROR, "internal error", str(e)) from None
        if status >= 400:
            raise _error_for(status, data)
        return data

    @staticmethod
    def _object(params) -> dict:
        if not isinstance(params, dict):
            raise RpcError(INVALID_PARAMS, "invalid params", "params must be an object")
        return params

    async def create(self, bearer, params) -> dict:
        ack = await self._call(bearer, "POST", "/v1/orders", self._object(params))
        return _order_result(ack)

    async def create_batch(self, bearer, params) -> dict:
        # Paradex documents {"orders": [...]}; paradex-py 0.8.2 sends the bare array
        orders = params.get("orders") if isinstance(params, dict) else params
        if not isinstance(orders, list):
            raise RpcError(INVALID_PARAMS, "invalid params", "orders must be an array")
        data = await self._call(bearer, "POST", "/v1/orders/batch", orders)
        acks = list(data.get("orders") or [])
        errors = list(data.get("errors") or [])
        results = []
        for body in orders:
            if acks and _same_order(body, acks[0]):
                results.append(_order_result(acks.pop(0)))
            elif errors:
                err = errors.pop(0)
                results.append({"error": f"{err.get('error')}: {err.get('message', '')}".rstrip(": ")})
            else:      # no error left, so it was accepted (its fields written otherwise, say)
                results.append(_order_result(acks.pop(0)) if acks else {"error": "INTERNAL_ERROR"})
        return {"results": results}

    async def modify(self, bearer, params) -> dict:
        params = self._object(params)
        order_id = params.get("id")
        if not isinstance(order_id, str) or not order_id:
            raise RpcError(INVALID_PARAMS, "invalid params", "id is required")
        order = await self._call(bearer, "PUT", f"/v1/orders/{urllib.parse.quote(order_id, safe='')}", params)
        return {"order": order}

    async def cancel(self, bearer, params) -> dict:
        params = self._object(params)
        order_id, client_id, market = params.get("id"), params.get("client_id"), params.get("market")
        if isinstance(order_id, str) and order_id:
            await self._call(bearer, "DELETE", f"/v1/orders/{urllib.parse.quote(order_id, safe='')}")
            return {"order_id": order_id, "status": "QUEUED_FOR_CANCELLATION"}
        if not (isinstance(client_id, str) and client_id and isinstance(market, str) and market):
            raise RpcError(INVALID_PARAMS, "invalid params", "id, or client_id and market, is required")
        quoted = urllib.parse.quote(client_id, safe="")
        order = await self._call(bearer, "GET", f"/v1/orders/by_client_id/{quoted}")
        await self._call(bearer, "DELETE", f"/v1/orders/by_client_id/{quoted}?"
                         + urllib.parse.urlencode({"market": market}))
        return {"order_id": order.get("id"), "status": "QUEUED_FOR_CANCELLATION"}

    async def cancel_batch(self, bearer, params) -> dict:
        params = self._object(params)
        ids = params.get("order_ids")
        if not isinstance(ids, list) or not ids:
            raise RpcError(INVALID_PARAMS, "invalid params", "order_ids must be a non-empty array")
        data = await self._call(bearer, "DELETE", "/v1/orders/batch", {"order_ids": ids})
        return {"results": [{"id": r.get("id"), "market": r.get("market"), "status": r.get("status")}
                            for r in data.get("results") or []]}

    async def cancel_all(self, bearer, params) -> dict:
        params = self._object(params)
        market = params.get("market")
        if market not in (None, "") and not isinstance(market, str):
            raise RpcError(INVALID_PARAMS, "invalid params", "market must be a string")
        path = "/v1/orders" + (("?" + urllib.parse.urlencode({"market": market})) if market else "")
        await self._call(bearer, "DELETE", path)
        return {"status": "ok"}
