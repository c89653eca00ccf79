#!/usr/bin/env python3
"""Start the Paradex mock's WebSocket server (JSON-RPC 2.0, default ws://127.0.0.1:8081/v1).

It keeps no exchange of its own: every event comes from the REST server's event stream
(``--upstream``, default http://HOST:HTTP_PORT), so start the two in either order.

    python http_server.py &
    python ws_server.py --help
    python ws_server.py --ws-port 8081 --upstream http://127.0.0.1:8080

``python http_server.py --with-ws`` serves both from one process instead.
"""
import sys

from paradex_mock.ws.server import main

if __name__ == "__main__":
    sys.exit(main())
