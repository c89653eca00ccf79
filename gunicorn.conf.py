"""gunicorn settings for the mock: ``gunicorn -c gunicorn.conf.py``.

One worker, because the exchange's state (books, accounts, orders) lives in one process's memory:
two workers would be two exchanges that disagree. Concurrency comes from threads instead; the
engine serialises changes under one lock, so threads mainly overlap network I/O and JSON work.
Configure the mock with PARADEX_MOCK_* environment variables (see ``python http_server.py --help``).
"""
import os

bind = f"{os.environ.get('PARADEX_MOCK_HOST', '127.0.0.1')}:{os.environ.get('PARADEX_MOCK_HTTP_PORT', '8080')}"
wsgi_app = "paradex_mock.http.app:create_app()"
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("PARADEX_MOCK_THREADS", "8"))
keepalive = 5
# an open /_mock/stream (the WS process following us) must not hold a shutdown for 30 s
graceful_timeout = 3
accesslog = None


def post_worker_init(worker):
    # the app (fixtures, backfilled history) lives as long as the worker: keep it out of the
    # garbage collector's full collections (see paradex_mock/runner.py)
    import gc
    gc.freeze()
