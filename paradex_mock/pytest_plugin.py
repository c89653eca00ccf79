"""pytest plugin: the ``paradex_mock`` fixture, a running mock per test.

Registered through the package's ``pytest11`` entry point once installed (``pip install .``).
Configure it with a marker, whose keywords are ``paradex_mock.config.Config`` fields (and
``with_ws=False`` to skip the WebSocket server, ``scenario={...}`` or a file's path to install a
market scenario, ``engine/scenario.py``)::

    @pytest.mark.paradex_mock(seed=7, auth_mode="strict")
    def test_my_adapter(paradex_mock):
        adapter = MyAdapter(rest=paradex_mock.api_url, ws=paradex_mock.ws_url)
        paradex_mock.set_price("BTC-USD-PERP", "90000")
"""
import pytest

from .testing import MockExchange


def pytest_configure(config):
    config.addinivalue_line("markers", "paradex_mock(**config): settings for the paradex_mock fixture")


@pytest.fixture
def paradex_mock(request):
    marker = request.node.get_closest_marker("paradex_mock")
    overrides = dict(marker.kwargs) if marker else {}
    with_ws = overrides.pop("with_ws", True)
    try:
        if not isinstance(with_ws, bool):
            raise ValueError("with_ws must be true or false")
        mock = MockExchange(with_ws=with_ws, **overrides)
    except ValueError as e:     # one clear line, not a dataclass traceback
        pytest.fail(f"@pytest.mark.paradex_mock: {e}", pytrace=False)
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()
