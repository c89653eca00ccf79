#!/usr/bin/env python3
"""Start the Paradex mock's REST server (Flask, default http://127.0.0.1:8080/v1).

    python http_server.py --help
    python http_server.py --seed 7 --clock manual
    python http_server.py --with-ws        # REST and WebSocket in one process

For load work, gunicorn serves the same app: ``gunicorn -c gunicorn.conf.py``.
"""
import sys

from paradex_mock.runner import main_http

if __name__ == "__main__":
    sys.exit(main_http())
