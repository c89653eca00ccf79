"""Paradex's wire output did not change when the engine learned other venues: one seeded run's
REST bodies and WS frames (``golden_paradex.py``) are byte for byte those recorded before."""
import json
from pathlib import Path

import golden_paradex

GOLDEN = Path(__file__).parent / "golden" / "paradex_seed7.json"


def test_paradex_wire_output_is_unchanged_by_the_venue_architecture():
    want = json.loads(GOLDEN.read_text())
    got = json.loads(json.dumps(golden_paradex.record()))
    for path, body in want["rest"].items():
        assert got["rest"][path] == body, path
    assert sorted(got["ws"]) == sorted(want["ws"])
    for channel, digest in want["ws"].items():
        assert got["ws"][channel]["first"] == digest["first"], channel
        assert (got["ws"][channel]["count"], got["ws"][channel]["sha256"]) == (digest["count"], digest["sha256"]), channel
