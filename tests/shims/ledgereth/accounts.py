from . import _refuse as find_account  # noqa: F401
