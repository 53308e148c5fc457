"""bench/hostile.py's clients: behind the proxy the attacker connects from 127.0.0.2, as from a machine
of its own, and must leave the servers' connections on this machine alone."""

from __future__ import annotations

import asyncio
import socket
import sys

import pytest

from bench.hostile import open_ws

IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux's


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the source address option is Linux's")
def test_a_client_from_its_own_address_gets_its_port_when_it_connects():
    """Bound to (127.0.0.2, 0), a socket takes a port of the machine's ephemeral range for every
    destination, and keeps it for the minute of TIME_WAIT after it closes: a flood of handshakes, each
    closed by the client once refused, used the whole range up, and then the servers could not connect
    (nginx to Daphne, Daphne to PostgreSQL). Chosen when connecting, the port is only held toward the
    address connected to, as on a machine of its own."""
    from websockets.asyncio.server import ServerConnection, serve

    async def hold(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async def opened() -> tuple[str, int]:
        async with serve(hold, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            ws = await open_ws(port, "/", None, "127.0.0.2")
            sock = ws.transport.get_extra_info("socket")
            found = sock.getsockname()[0], sock.getsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT)
            await ws.close()
            return found

    assert asyncio.run(opened()) == ("127.0.0.2", 1)
