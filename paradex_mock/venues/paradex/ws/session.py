"""What the Paradex WS app keeps per connection (``ws.server.Conn.venue_state``): the SBE
version negotiated at connect, the JWT of ``auth`` and the orders placed over the connection
(for ``order.cancel_on_disconnect``)."""
from __future__ import annotations

from typing import Dict, Optional


class Session:
    """What the Paradex WS app keeps per connection (``Conn.venue_state``)."""

    def __init__(self, sbe_version: Optional[int] = None):
        self.sbe_version = sbe_version       # the SBE schema version negotiated (None: JSON)
        self.bearer: Optional[str] = None     # the JWT of ``auth``, sent with order.* requests
        self.cancel_on_disconnect = False     # order.cancel_on_disconnect
        self.placed: Dict[str, None] = {}     # ids of the orders placed over this connection


def sbe_version_of(conn) -> Optional[int]:
    """The SBE schema version ``conn`` negotiated (None: JSON, or not a Paradex connection)."""
    session = getattr(conn, "venue_state", None)
    return session.sbe_version if session is not None else None
