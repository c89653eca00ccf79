from . import _refuse as sign_typed_data_draft  # noqa: F401
