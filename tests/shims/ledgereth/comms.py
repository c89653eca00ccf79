from . import _refuse as init_dongle  # noqa: F401
