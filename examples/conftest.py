# A checkout that has not been `pip install`ed: load the mock's pytest plugin from the source
# tree (an installed package registers it itself through its pytest11 entry point).
from paradex_mock.pytest_plugin import paradex_mock, pytest_configure  # noqa: F401
