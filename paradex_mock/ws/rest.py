"""Carrying a WS request out as the REST request it stands for, on the HTTP side that owns the
exchange: ``WsgiTransport`` calls the Flask app in this process (the single-process modes),
``HttpTransport`` calls the HTTP server (``ws_server.py``). Both run the blocking call in a worker
thread, so the WS event loop never waits for the exchange. The journal marks these requests
``"via": "ws"``."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, List, Tuple

class Unreachable(Exception):
    """The HTTP server did not answer (refused, reset, timed out)."""


VIA_HEADER = "X-Paradex-Mock-Via"      # journaled as "via"

Response = Tuple[int, Any]             # (HTTP status, parsed JSON body or None)


def http_call(base_url: str, method: str, path: str, body=None, headers=None, timeout: float = 10.0) -> Response:
    """One REST call with the standard library: ``(status, json_or_None)``; a body that is not
    JSON comes back as bytes."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base_url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, (json.loads(raw) if raw else None)
        except ValueError:
            return e.code, raw


class HttpTransport:
    """REST calls to the HTTP server (the separate ``ws_server.py`` process)."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def __call__(self, method: str, path: str, body, headers: dict) -> Response:
        try:
            return http_call(self.base_url, method, path, body, headers, self.timeout)
        except OSError as e:                  # refused, reset, timed out
            raise Unreachable(f"the exchange is unreachable: {e}") from None


class WsgiTransport:
    """REST calls straight into the Flask app of this process (no socket)."""

    def __init__(self, wsgi_app: Callable):
        self.wsgi_app = wsgi_app

    def __call__(self, method: str, path: str, body, headers: dict) -> Response:
        from werkzeug.test import EnvironBuilder   # here: ws_server.py never loads it
        raw_path, _, query = path.partition("?")
        builder = EnvironBuilder(path=raw_path, query_string=query, method=method, headers=headers,
                                 data=json.dumps(body) if body is not None else None,
                                 content_type="application/json", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        environ = builder.get_environ()
        builder.close()
        status: List[str] = []

        def start_response(s, h, exc_info=None):
            status.append(s)
        chunks = self.wsgi_app(environ, start_response)
        try:
            raw = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        code = int(status[0].split(" ", 1)[0])
        try:
            return code, (json.loads(raw) if raw else None)
        except ValueError:
            return code, raw
