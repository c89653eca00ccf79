"""The seed design's WebSocket example client, unchanged but for its port, against
``python ws_server.py`` (a separate process fed by the REST server's event stream): it
authenticates with a non-JWT bearer, subscribes to trades.BTC-USD-PERP and prints 5 messages."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paradex_mock.config import Config
from paradex_mock.http.app import create_app
from paradex_mock.http.stream import close_streams
from paradex_mock.runner import HttpServer
from paradex_mock.ws.testing import rest

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = "000_2853923d11f53941.txt"

# Verbatim from the seed (shared/seeds/000_2853923d11f53941.txt, "Test WebSocket Connection").
SEED_CLIENT = '''import asyncio
import websockets
import json

async def test_websocket():
    uri = "ws://localhost:8081"
    
    async with websockets.connect(uri) as ws:
        # Authenticate
        auth_msg = {
            "jsonrpc": "2.0",
            "method": "auth",
            "params": {
                "bearer": "valid_mock_token"
            },
            "id": 1
        }
        await ws.send(json.dumps(auth_msg))
        
        # Wait for auth response
        response = await ws.recv()
        auth_result = json.loads(response)
        print(f"Auth result: {auth_result}")
        
        # Subscribe to trades
        sub_msg = {
            "jsonrpc": "2.0",
            "method": "subscribe",
            "params": {
                "channel": "trades.BTC-USD-PERP"
            },
            "id": 2
        }
        await ws.send(json.dumps(sub_msg))
        
        # Receive data
        for _ in range(5):
            data_msg = await ws.recv()
            data = json.loads(data_msg)
            print(f"Received: {data}")

asyncio.run(test_websocket())
'''


def seed_text():
    for base in (ROOT.parent / "shared" / "seeds", Path("/work/shared/seeds")):
        if (base / SEED_FILE).is_file():
            return (base / SEED_FILE).read_text()
    return None


def test_embedded_client_is_the_seeds():
    text = seed_text()
    if text is None:
        pytest.skip("the seed file is not beside this checkout")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert block == SEED_CLIENT


def test_seed_client_against_ws_server_process(tmp_path):
    app = create_app(Config(host="127.0.0.1", http_port=0, ws_port=0, clock="manual", backfill_hours=0.5,
                            rate_limits=False), start_ticker=False)
    http = HttpServer(app, "127.0.0.1", 0).start()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    ws = subprocess.Popen([sys.executable, str(ROOT / "ws_server.py"), "--host", "127.0.0.1", "--ws-port", "0",
                           "--http-port", str(http.port), "--log-level", "WARNING"],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    client = None
    try:
        line = ws.stdout.readline()
        m = re.search(r"listening on ws://127\.0\.0\.1:(\d+)/v1", line)
        assert m, (line, ws.stderr.read() if ws.poll() is not None else "")
        script = tmp_path / "seed_client.py"
        script.write_text(SEED_CLIENT.replace("ws://localhost:8081", f"ws://localhost:{m.group(1)}"))
        client = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env)
        deadline = time.monotonic() + 30
        side = "BUY"
        while client.poll() is None:                      # the market trades until the client is done
            assert time.monotonic() < deadline, "the seed client did not finish"
            status, _ = rest(http.url, "POST", "/v1/orders",
                             {"market": "BTC-USD-PERP", "side": side, "type": "MARKET", "size": "0.01"})
            assert status == 201
            side = "SELL" if side == "BUY" else "BUY"
            time.sleep(0.05)
        out, err = client.communicate()
        assert client.returncode == 0, err
        lines = out.strip().splitlines()
        assert len(lines) == 6, out
        auth = eval(lines[0][len("Auth result: "):])     # the script prints Python reprs
        assert auth["id"] == 1 and "node_id" in auth["result"] and "usDiff" in auth
        received = [eval(x[len("Received: "):]) for x in lines[1:]]
        assert received[0]["id"] == 2 and received[0]["result"] == {"channel": "trades.BTC-USD-PERP"}
        for note in received[1:]:
            assert note["method"] == "subscription" and note["params"]["channel"] == "trades.BTC-USD-PERP"
            assert note["params"]["data"]["market"] == "BTC-USD-PERP"
        # graceful shutdown on SIGTERM
        ws.send_signal(signal.SIGTERM)
        assert ws.wait(10) == 0
    finally:
        for p in (client, ws):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        if ws.stdout:
            ws.stdout.close()
            ws.stderr.close()
        http.stop()
        close_streams(app)


def test_ws_server_help():
    out = subprocess.run([sys.executable, str(ROOT / "ws_server.py"), "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0 and "--upstream" in out.stdout and "--ws-queue-size" in out.stdout
