"""A silent class keeps its sockets for the whole lesson (tests/silent_class.py starts it with the session).

Twenty sockets on the real Redis say nothing for PARLEY_SILENCE_SECONDS (two minutes in CI, ten in
`make soak`) while the rest of the suite runs; then every socket must still be open, never have been
closed, and hear its partner. (With the list-based Redis layer and a socket timeout at or below its 5 s
blocking read, idle consumers crashed and their sockets closed; the test catches any such idle failure.)
"""

from __future__ import annotations

import threading

import pytest

from tests.silent_class import SILENCE

# django_db: the silent class's database is a copy of the test database, which must therefore be set up.
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.soak, pytest.mark.django_db]


@pytest.mark.timeout(SILENCE + 300)
def test_a_silent_class_keeps_its_sockets_for_the_whole_session(silent_class):
    assert silent_class is not None, "the silent class did not start with the session"
    threading.Event().wait(silent_class.remaining())  # the rest of the silence: the silence is the test
    assert silent_class.process.poll() is None, "the silent class's Daphne died"
    assert silent_class.closes == [], f"sockets closed during {SILENCE:.0f} s of silence: {silent_class.closes}"
    assert all(client.connection.state.name == "OPEN" for client in silent_class.clients)
    problems = silent_class.run(silent_class.talk(), timeout=120)
    assert problems == [], problems
    assert silent_class.closes == []
    assert "Traceback" not in silent_class.log(), silent_class.log()[-3000:]
