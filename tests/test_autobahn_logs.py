"""Daphne's websocket protocol formats its debug lines only when they are written."""

from __future__ import annotations

import pprint


class Counted:
    shown = 0

    def __repr__(self) -> str:
        Counted.shown += 1
        return "counted"


def test_autobahns_debug_arguments_are_formatted_only_when_a_line_is_written():
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    import config.asgi

    Counted.shown = 0
    config = [("openHandshakeTimeout", Counted(), "WebSocketServerFactory")]
    value = protocol.pformat(config)
    named = protocol.hltype(protocol.WebSocketProtocol.sendData), twisted_websocket.hlval(Counted())
    assert Counted.shown == 0, "formatted although nothing was written"
    assert f"{value}" == str(value) == pprint.pformat(config)
    assert "WebSocketProtocol.sendData" in f"{named[0]}" and "counted" in str(named[1])
    timings = protocol.Timings()
    timings.track("handshake")
    assert "handshake" in str(timings)
