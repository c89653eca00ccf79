"""The launchers as a user runs them: http_server.py, gunicorn, --help, and the README's curl lines."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> dict:
    """Poll /health until the server answers (a readiness check, not a timing assumption)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                return json.load(r)
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not become healthy")


def start(cmd, env=None):
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, **(env or {})))


def stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_help_documents_every_option():
    out = subprocess.run([sys.executable, "http_server.py", "--help"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    for flag in ("--host", "--http-port", "--ws-port", "--fixtures-dir", "--seed", "--tick-interval",
                 "--log-level", "--clock", "--auth-mode", "--control", "--rate-limits", "--faults-file",
                 "--with-ws", "PARADEX_MOCK_SEED"):
        assert flag in out, flag
    bad = subprocess.run([sys.executable, "http_server.py", "--clock", "sideways"], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "clock must be" in bad.stderr


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_examples_work_as_written(tmp_path):
    port = free_port()
    proc = start([sys.executable, "http_server.py", "--http-port", str(port), "--clock", "manual"])
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        readme = (ROOT / "README.md").read_text()
        lines, cur = [], ""
        for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
            for line in block.splitlines():
                cur += line.rstrip("\\").strip() + " " if line.rstrip().endswith("\\") else line
                if not line.rstrip().endswith("\\"):
                    if cur.strip().startswith("curl"):
                        lines.append(cur.strip())
                    cur = ""
        assert len(lines) >= 15
        for line in lines:
            cmd = line.replace("localhost:8080", f"127.0.0.1:{port}").replace("localhost:8081", "127.0.0.1:1")
            cmd = cmd.replace("curl ", "curl -sS -f -o /dev/null -w '%{http_code}' ", 1)
            if " > " in cmd:   # the snapshot line writes a file, then restores it
                cmd = cmd.replace("-o /dev/null ", "", 1)
            r = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, (line, r.stdout, r.stderr)
    finally:
        stop(proc)


def test_gunicorn_serves_the_same_app():
    if shutil.which("gunicorn") is None:
        pytest.skip("gunicorn is not installed")
    port = free_port()
    proc = start(["gunicorn", "-c", "gunicorn.conf.py"],
                 env={"PARADEX_MOCK_HTTP_PORT": str(port), "PARADEX_MOCK_CLOCK": "manual"})
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}", proc)
        assert health["status"] == "ok"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/orders", method="POST",
                                     data=json.dumps({"market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT",
                                                      "size": "0.001", "price": "50000"}).encode())
        with urllib.request.urlopen(req) as r:
            order = json.load(r)
            assert r.status == 201
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/orders") as r:
            assert [o["id"] for o in json.load(r)["results"]] == [order["id"]]
    finally:
        stop(proc)


class Lines:
    """The output of a launcher, line by line, read by a thread (readiness without sleeps)."""

    def __init__(self, proc):
        import queue
        import threading
        self.proc, self.seen, self._q = proc, [], queue.Queue()

        def pump():
            for line in proc.stdout:
                self._q.put(line)
            self._q.put(None)
        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, pattern: str, timeout: float = 30.0) -> str:
        import queue
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r} in {self.seen}")
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"exited before {pattern!r}: {''.join(self.seen)}")
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def rest(self, timeout: float = 10.0) -> str:
        """Everything else it prints until it exits."""
        self.proc.wait(timeout)
        out = []
        while True:
            line = self._q.get(timeout=timeout)
            if line is None:
                break
            out.append(line)
        self.seen.extend(out)
        return "".join(self.seen)


def rpc(url: str, calls: list, timeout: float = 20.0) -> list:
    """Send JSON-RPC requests one by one on one connection; the replies in order."""
    import asyncio

    import websockets

    async def run():
        out = []
        async with websockets.connect(url) as ws:
            for i, (method, params) in enumerate(calls, 1):
                await ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}))
                while True:
                    msg = json.loads(await ws.recv())
                    if msg.get("id") == i:
                        out.append(msg)
                        break
        return out
    return asyncio.run(asyncio.wait_for(run(), timeout))


def test_standalone_ws_server_carries_out_order_methods():
    http_port, ws_port = free_port(), free_port()
    http = start([sys.executable, "http_server.py", "--http-port", str(http_port), "--clock", "manual"])
    ws = start([sys.executable, "ws_server.py", "--http-port", str(http_port), "--ws-port", str(ws_port)])
    try:
        wait_healthy(f"http://127.0.0.1:{http_port}", http)
        Lines(ws).wait_for(r"WS listening on")
        order = {"market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.001", "price": "50000"}
        auth, created, cancelled = rpc(f"ws://127.0.0.1:{ws_port}/v1", [
            ("auth", {"bearer": "valid_mock_token"}), ("order.create", order), ("order.cancel_all", {})])
        assert "result" in auth, auth
        assert created["result"]["order"]["market"] == "BTC-USD-PERP", created
        assert cancelled["result"] == {"status": "ok"}, cancelled
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v1/orders/{created['result']['order']['id']}") as r:
            assert json.load(r)["status"] == "CLOSED"
    finally:
        stop(ws)
        stop(http)


@pytest.mark.parametrize("launcher", ["http_server.py", "ws_server.py"])
@pytest.mark.parametrize("args,env,says", [
    (["--http-port", "99999"], {}, "http_port must be between 0 and 65535"),
    (["--ws-port", "-1"], {}, "ws_port must be between 0 and 65535"),
    (["--log-level", "LOUD"], {}, "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    (["--http-port", "eighty"], {}, "argument --http-port: invalid int value: 'eighty'"),
    ([], {"PARADEX_MOCK_SEED": "abc"}, "PARADEX_MOCK_SEED='abc' is not an integer"),
])
def test_bad_configuration_is_one_clear_line(launcher, args, env, says):
    r = subprocess.run([sys.executable, launcher] + args, cwd=ROOT, capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, **env))
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and says in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("content,says", [
    (None, "does not exist"),
    ("{not json", "not valid JSON"),
    ('{"faults": [{"kind": "explode"}]}', "rule 1: unknown fault kind 'explode'"),
    ('{"faultz": [{"kind": "drop"}]}', 'a scenario is a list of rules or {"faults": [...]}'),
    ('{"kind": "drop", "target": "*"}', 'a scenario is a list of rules or {"faults": [...]}'),
])
def test_bad_faults_file_is_one_clear_line(tmp_path, content, says):
    path = tmp_path / "faults.json"
    if content is not None:
        path.write_text(content)
    r = subprocess.run([sys.executable, "http_server.py", "--faults-file", str(path), "--http-port", "0"], cwd=ROOT,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and says in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_startup_says_what_a_user_needs_once_and_requests_are_not_logged():
    http_port, ws_port = free_port(), free_port()
    proc = start([sys.executable, "http_server.py", "--with-ws", "--http-port", str(http_port), "--ws-port",
                  str(ws_port), "--seed", "7", "--faults-file", "examples/flaky_orders.json"])
    out = Lines(proc)
    try:
        out.wait_for(r"demo account 0x3a5e6ca3f7d55722bfb79595c96bd41dba9980fe2abf5c0577591a135ec6dc4 \(100000 USDC\)")
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v1/markets") as r:
            assert r.status == 200
    finally:
        proc.terminate()
    text = out.rest()
    assert proc.returncode == 0
    assert text.count(f"http://127.0.0.1:{http_port}") == 1 and text.count(f"ws://127.0.0.1:{ws_port}") == 1, text
    for needed in ("seed 7", "control API /_mock on for loopback clients", "fault rules loaded: 5 from "
                   "examples/flaky_orders.json", "markets: BTC-USD-PERP, ETH-USD-PERP"):
        assert needed in text, (needed, text)
    assert "/v1/markets" not in text      # no per-request line at INFO (the journal has them)


def _rpc_once(url: str, method: str, params: dict, timeout: float = 20.0) -> dict:
    return rpc(url, [(method, params)], timeout)[0]


def test_standalone_ws_server_says_at_once_when_its_exchange_is_down_and_retries():
    http_port, ws_port = free_port(), free_port()
    ws = start([sys.executable, "ws_server.py", "--http-port", str(http_port), "--ws-port", str(ws_port)])
    http = None
    try:
        Lines(ws).wait_for(r"WS listening on")
        url = f"ws://127.0.0.1:{ws_port}/v1"
        t0 = time.monotonic()
        reply = _rpc_once(url, "subscribe", {"channel": "trades.BTC-USD-PERP"})
        assert time.monotonic() - t0 < 3, "it waited for the 10 s readiness timeout"
        assert reply["error"] == {"code": -32603, "message": "internal error", "data": "the exchange is unreachable"}
        http = start([sys.executable, "http_server.py", "--http-port", str(http_port), "--clock", "manual"])
        wait_healthy(f"http://127.0.0.1:{http_port}", http)
        deadline = time.monotonic() + 30            # it keeps retrying in the background
        while "result" not in reply:
            assert time.monotonic() < deadline, reply
            reply = _rpc_once(url, "subscribe", {"channel": "trades.BTC-USD-PERP"})
        assert reply["result"] == {"channel": "trades.BTC-USD-PERP"}
    finally:
        stop(ws)
        if http is not None:
            stop(http)


def test_standalone_ws_server_stops_within_a_second_whatever_its_upstream_does():
    """The upstream accepts connections and never answers (a hung HTTP process): the stream and an
    order.create are stuck on it when SIGTERM comes."""
    import threading
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    accepted = []

    def accept_forever():
        while True:
            try:
                accepted.append(hung.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept_forever, daemon=True).start()
    ws_port = free_port()
    ws = start([sys.executable, "ws_server.py", "--upstream", f"http://127.0.0.1:{hung.getsockname()[1]}",
                "--ws-port", str(ws_port)])
    try:
        Lines(ws).wait_for(r"WS listening on")
        import asyncio

        import websockets

        async def stuck_order():
            async with websockets.connect(f"ws://127.0.0.1:{ws_port}/v1") as c:
                await c.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "auth",
                                         "params": {"bearer": "valid_mock_token"}}))
                await c.recv()
                await c.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "order.create", "params": {
                    "market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.001", "price": "1"}}))
                deadline = time.monotonic() + 10
                while len(accepted) < 2:                 # the stream, then the order's REST call
                    assert time.monotonic() < deadline, accepted
                    await asyncio.sleep(0.01)
                t0 = time.monotonic()
                ws.terminate()
                await asyncio.get_running_loop().run_in_executor(None, ws.wait, 10)
                return time.monotonic() - t0
        took = asyncio.run(stuck_order())
        assert ws.returncode == 0 and took < 1.5, took
    finally:
        stop(ws)
        hung.close()
        for s in accepted:
            s.close()
