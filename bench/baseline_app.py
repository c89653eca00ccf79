"""The bare-Flask baseline: the mock's routes answering constant JSON, nothing else.

With ``BENCH_CRYPTO`` (a JSON file: {"chain_id": ..., "keys": {address: public key}}) its
``POST /v1/orders`` also does the crypto limit's work for each signed order (the caller's address
read from its JWT, unverified; one typed-data hash; one signature check) before answering the
constant: the floor for signed order entry on this framework, with none of the mock's own work.

Served by gunicorn with the mock's own gunicorn.conf.py (one gthread worker), so the only
difference from the mock is the mock's work. The bodies are the mock's real responses captured
at the start of the run (``BENCH_PAYLOADS``: a JSON file of name -> body text), so the bytes on
the wire are the same too.

    gunicorn -c gunicorn.conf.py -b 127.0.0.1:9000 'bench.baseline_app:create_app()'
"""
import base64
import json
import os

from flask import Flask, Response, request

DEFAULTS = {
    "summary": '{"results":[{"symbol":"BTC-USD-PERP","mark_price":"90000"}]}',
    "orderbook": '{"market":"BTC-USD-PERP","seq_no":1,"bids":[],"asks":[]}',
    "order_ack": '{"id":"1","status":"NEW"}',
    "batch_ack": '{"orders":[],"errors":[]}',
    "klines": '[]',
}


def create_app() -> Flask:
    payloads = dict(DEFAULTS)
    path = os.environ.get("BENCH_PAYLOADS")
    if path and os.path.exists(path):
        with open(path) as f:
            payloads.update(json.load(f))
    app = Flask("bench_baseline")

    def const(name: str, status: int = 200):
        body = payloads[name]
        return Response(body, status=status, mimetype="application/json")

    @app.get("/v1/system/time")
    def system_time():
        return Response('{"server_time":"0"}', mimetype="application/json")

    @app.get("/v1/markets/summary")
    def summary():
        return const("summary")

    @app.get("/v1/orderbook/<path:market>")
    def orderbook(market):
        return const("orderbook")

    @app.get("/binance/api/v3/klines")
    def klines():
        return const("klines")

    crypto = None
    if os.environ.get("BENCH_CRYPTO"):
        with open(os.environ["BENCH_CRYPTO"]) as f:
            crypto = json.load(f)
        from paradex_mock.venues.paradex.auth.stark import parse_signature, verify
        from paradex_mock.venues.paradex.auth.typed_data import order_message_hash

    def caller() -> str:
        token = request.headers.get("Authorization", "").split(" ", 1)[-1]
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]

    @app.post("/v1/orders")
    def orders():
        b = request.get_json(force=True)     # a real endpoint reads its body; so does the baseline
        if crypto is not None:
            address = caller()
            r, s = parse_signature(b["signature"])
            h = order_message_hash(int(address, 16), crypto["chain_id"], b["signature_timestamp"], b["market"],
                                   b["side"], b["type"], b["size"], b["price"])
            if not verify(h, r, s, int(crypto["keys"][address], 16)):
                return Response('{"error":"INVALID_ORDER_SIGNATURE"}', status=400, mimetype="application/json")
        return const("order_ack", 201)

    @app.post("/v1/orders/batch")
    def batch():
        request.get_json(force=True)
        return const("batch_ack", 201)

    return app
