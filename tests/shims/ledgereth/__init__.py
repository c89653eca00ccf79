"""Test-only stand-in for ``ledgereth`` (Ledger hardware-wallet support).

paradex-py 0.8.2 imports three names from it at import time (``paradex_py/account/utils.py``)
for signing with a Ledger device. The real package drags in ledgerblue and some 25 hardware
packages (HID, NFC, Bluetooth); no test here uses a Ledger, so these stubs only refuse.
``tests/test_paradex_py.py`` appends ``tests/shims`` to ``sys.path``: an installed ledgereth wins.
"""


class NoLedgerInTests(RuntimeError):
    pass


def _refuse(*args, **kwargs):
    raise NoLedgerInTests("no Ledger device: tests/shims/ledgereth is a stand-in")
