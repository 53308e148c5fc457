"""One user cannot stall every pair: frames are counted as they arrive, a flooding socket is closed at
once, and the limits hold per seat and per user as well as per socket (docs/protocol.md, "Limits")."""

from __future__ import annotations

import asyncio
import string
import threading
import time
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string

from negotiations import acting, consumers, limits
from tests.base import seats_by_role, start_round, student_client
from tests.live import Live, refusal, run

pytestmark = pytest.mark.django_db(transaction=True)
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


@pytest.fixture
def pair(exercise, classroom):
    (negotiation,) = start_round(exercise, classroom, 2)
    return negotiation, {role: student_client(seat.student) for role, seat in seats_by_role(negotiation).items()}


@pytest.fixture
def held_writes(monkeypatch):
    """Every action waits until the test lets it through: a server whose database work has backed up."""
    gate = threading.Event()
    act = acting.negotiation_act

    def slow_act(**kwargs):
        gate.wait(timeout=10)
        return act(**kwargs)

    monkeypatch.setattr(consumers, "negotiation_act", slow_act)
    yield gate
    gate.set()


def chat(key: str) -> dict:
    return {"type": "chat", "client_msg_id": key, "text": f"message {key}"}


def test_a_backlog_of_frames_sent_within_the_rate_is_not_taken_for_a_burst(pair, held_writes, monkeypatch):
    """A client within its rate whose frames queue up behind the server's database work: when the work
    goes through, every frame is stored, none refused (the limiter counts them as they came)."""
    monkeypatch.setattr(limits, "FRAMES_PER_SECOND", 20.0)
    monkeypatch.setattr(limits, "FRAME_BURST", 4)
    negotiation, clients = pair
    count = 12

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", clients["seller"])
        await live.connect()
        for i in range(count):  # 10 a second: half the rate
            await live.send(chat(f"c{i}"))
            await asyncio.sleep(0.1)  # the client's pace, not a wait for the server
        held_writes.set()
        answered = {}
        while len(answered) < count:
            frame = await live.recv_type("ack", "error")
            answered[frame["client_msg_id"]] = frame["type"]
        await live.close()
        return answered

    answered = run(go())
    assert answered == {f"c{i}": "ack" for i in range(count)}


def test_a_socket_flooding_at_full_speed_is_closed_before_the_server_gets_through_its_frames(pair, held_writes):
    """The first frame is stuck in the database: the close comes from counting arrivals, not from
    working through the flood."""
    negotiation, clients = pair

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", clients["buyer"])
        await live.connect()
        for i in range(limits.FRAME_BURST + limits.REFUSALS_BEFORE_CLOSE + 50):
            await live.send(chat(f"f{i}"))
        while (frame := await live.recv(timeout=3))["type"] != "close":
            pass
        stuck = not held_writes.is_set()
        held_writes.set()
        return frame["code"], stuck

    code, stuck = run(go())
    assert code == limits.CLOSE_TOO_MANY
    assert stuck  # closed while the server still held the first frame


@pytest.fixture
def server_work(monkeypatch):
    """Records each step of a handshake that costs the server: a consumer starting (it accepts the socket,
    then identifies the participant), and loading the session (in a database trip, or read on the event
    loop: negotiations.loop_reads)."""
    done: list[str] = []
    load, loaded = SessionStore.load, SessionStore.loaded
    monkeypatch.setattr(SessionStore, "load", lambda self: done.append("session") or load(self))
    monkeypatch.setattr(SessionStore, "loaded", lambda self, data: done.append("session") or loaded(self, data))
    for consumer in (consumers.NegotiationConsumer, consumers.MonitorConsumer):
        connect = consumer.connect

        async def recorded(self, connect=connect, name=consumer.__name__):  # type: ignore[no-untyped-def]
            done.append(name)
            await connect(self)

        monkeypatch.setattr(consumer, "connect", recorded)
    return done


@pytest.mark.parametrize("path", ["/ws/negotiations/{negotiation}/", "/ws/exercises/{exercise}/monitor/"])
def test_a_handshake_without_a_session_cookie_is_refused_before_any_work(pair, server_work, path):
    negotiation, _ = pair
    path = path.format(negotiation=negotiation.pk, exercise=negotiation.exercise_id)

    assert run(refusal(Live(path))) == 4401
    assert server_work == []


def forged_session_cookie(client: Client | None = None) -> Client:
    """A client sending a session cookie this server never made: a key of the right form, made up."""
    client = client or Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = get_random_string(40, string.ascii_lowercase + string.digits)
    return client


@pytest.mark.parametrize("path", ["/ws/negotiations/{negotiation}/", "/ws/exercises/{exercise}/monitor/"])
def test_a_handshake_with_a_forged_session_cookie_is_refused_before_any_work(pair, server_work, path):
    negotiation, _ = pair
    path = path.format(negotiation=negotiation.pk, exercise=negotiation.exercise_id)

    assert run(refusal(Live(path, forged_session_cookie()))) == 4401
    assert server_work == []  # the session was never looked up


def test_a_forged_session_cookie_costs_a_request_no_session_lookup(django_assert_num_queries):
    forged = forged_session_cookie().cookies[settings.SESSION_COOKIE_NAME].value
    with django_assert_num_queries(0):
        assert SessionStore(session_key=forged).get("kept") is None  # as SessionMiddleware reads it
    store = SessionStore()
    store["kept"] = 1
    store.create()  # a key this server made is looked up, and found
    assert SessionStore(session_key=store.session_key).get("kept") == 1

    async def made_in_async_code() -> str | None:  # an async view's session, and the test client's
        store = SessionStore()
        await store.aset("kept", 2)
        await store.acreate()
        return store.session_key

    key = run(made_in_async_code())
    assert key and SessionStore(session_key=key).get("kept") == 2


def test_a_seat_holds_at_most_its_sockets_and_gets_a_place_back_when_one_closes(pair, monkeypatch):
    monkeypatch.setattr(limits, "SOCKETS_PER_SEAT", 2)
    negotiation, clients = pair
    path = f"/ws/negotiations/{negotiation.pk}/"

    async def go():
        first, second = Live(path, clients["seller"]), Live(path, clients["seller"])
        await first.connect()
        await second.connect()
        third = await refusal(Live(path, clients["seller"]))
        partner = await refusal(Live(path, clients["buyer"]))  # another seat has its own places
        await first.close()
        again = Live(path, clients["seller"])
        await again.connect()
        await again.close()
        await second.close()
        return third, partner

    third, partner = run(go())
    assert third == limits.CLOSE_TOO_MANY_SOCKETS
    assert partner == "connected"


def test_one_instructor_holds_at_most_a_few_monitors(pair, instructor_client, monkeypatch):
    monkeypatch.setattr(limits, "MONITOR_SOCKETS_PER_USER", 2)
    negotiation, _ = pair
    path = f"/ws/exercises/{negotiation.exercise_id}/monitor/"

    async def go():
        held = [Live(path, instructor_client) for _ in range(2)]
        for live in held:
            await live.connect()
        third = await refusal(Live(path, instructor_client))
        for live in held:
            await live.close()
        return third

    assert run(go()) == limits.CLOSE_TOO_MANY_SOCKETS


def test_the_sockets_of_one_seat_share_its_rate(pair, monkeypatch):
    """Two tabs of one student, each within its own socket's rate: together they are held to the seat's."""
    monkeypatch.setattr(limits, "SEAT_FRAMES_PER_SECOND", 0.0)
    monkeypatch.setattr(limits, "SEAT_FRAME_BURST", 6)
    negotiation, clients = pair
    path = f"/ws/negotiations/{negotiation.pk}/"

    async def go():
        tabs = [Live(path, clients["seller"]), Live(path, clients["seller"])]
        for tab in tabs:
            await tab.connect()
        answered = {}
        for t, tab in enumerate(tabs):
            for i in range(5):
                await tab.send(chat(f"t{t}-{i}"))
            while len([k for k in answered if k.startswith(f"t{t}-")]) < 5:
                frame = await tab.recv_type("ack", "error")
                answered[frame["client_msg_id"]] = frame.get("code", "ack")
        for tab in tabs:
            await tab.close()
        return answered

    answered = run(go())
    assert sorted(answered.values()) == ["ack"] * 6 + ["rate_limited"] * 4


def test_presence_grows_with_the_sockets_not_with_their_cube(pair):
    """Each socket that connects is announced to the others, and each of them answers the newcomer
    alone: every two sockets exchange at most an announcement and an answer each way. Answering the
    whole group made the frames grow with the cube of the sockets (70 for these six in one process)."""
    negotiation, clients = pair
    path = f"/ws/negotiations/{negotiation.pk}/"
    roles = ["seller"] * 4 + ["buyer"] * 2

    async def go():
        sockets = [Live(path, clients[role]) for role in roles]
        for live in sockets:
            await live.connect()

        async def presence(live: Live) -> int:
            while not await live.nothing(0.5):
                await live.recv()
            return sum(1 for f in live.frames if f["type"] == "presence")

        counts = await asyncio.gather(*(presence(live) for live in sockets))
        for live in sockets:
            await live.close()
        return sum(counts)

    sockets = len(roles)
    assert sockets - 1 <= run(go()) <= 2 * sockets * (sockets - 1)


def test_open_monitors_share_one_sweep_of_their_exercise(pair, instructor_client, monkeypatch):
    """The monitor's sweep (closing pairs out of time) runs once per period per exercise, however many
    monitors are open: eight sweeps take eight periods, not two."""
    period = 0.05
    monkeypatch.setattr(consumers, "SWEEP_SECONDS", period)
    negotiation, _ = pair
    sweeps: list[float] = []
    counted = threading.Event()

    def sweep(*, exercise_id):
        sweeps.append(time.monotonic())
        if len(sweeps) >= 8:
            counted.set()

    monkeypatch.setattr(consumers, "negotiation_close_expired", sweep)
    path = f"/ws/exercises/{negotiation.exercise_id}/monitor/"

    async def go():
        monitors = [Live(path, instructor_client) for _ in range(limits.MONITOR_SOCKETS_PER_USER)]
        for live in monitors:
            await live.connect()
        sweeps.clear()
        started = time.monotonic()
        await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, counted.wait), 10)
        for live in monitors:
            await live.close()
        return sweeps[7] - started

    assert run(go()) >= 6 * period


def test_a_session_opening_sockets_too_fast_is_refused_at_the_handshake_before_its_session_is_loaded(
    pair, server_work, monkeypatch
):
    """Reconnecting at once each time a socket is closed (4430, 4429) must not cost a session load each:
    past a few handshakes a session's next ones are refused before anything is looked up."""
    monkeypatch.setattr(limits, "HANDSHAKE_BURST", 3)
    monkeypatch.setattr(limits, "HANDSHAKES_PER_SECOND", 0.0)
    negotiation, clients = pair
    path = f"/ws/negotiations/{negotiation.pk}/"

    async def go():
        for _ in range(3):
            live = Live(path, clients["seller"])
            await live.connect()
            await live.close()
        loaded = server_work.count("session")
        try:
            await Live(path, clients["seller"]).connect()
        except ConnectionRefusedError as refused:
            outcome = refused.args[0]
        else:
            outcome = "connected"
        partner = await refusal(Live(path, clients["buyer"]))  # another session counts on its own
        return loaded, outcome, server_work.count("session") - loaded, partner

    loaded, outcome, loaded_since, partner = run(go())
    assert loaded == 3
    assert outcome == "handshake refused"
    assert partner == "connected"
    assert loaded_since == 1  # the partner's only


def test_a_monitor_asking_for_snapshots_again_and_again_gets_one_every_few_seconds(
    pair, instructor_client, monkeypatch
):
    """A monitor's snapshot reads the whole class: a resync within RESYNC_SECONDS of the last snapshot is
    answered once that time is up, and several such are answered by one snapshot."""
    monkeypatch.setattr(consumers, "RESYNC_SECONDS", 0.6)
    negotiation, _ = pair

    async def go():
        monitor = Live(f"/ws/exercises/{negotiation.exercise_id}/monitor/", instructor_client)
        await monitor.connect()
        for _ in range(3):
            await monitor.send({"type": "resync"})
        quiet_at_first = await monitor.nothing(0.3)  # the first snapshot was just sent on connecting
        await monitor.recv_type("snapshot", timeout=5)
        quiet_after = await monitor.nothing(0.8)  # the three asked for one
        await monitor.close()
        return quiet_at_first, quiet_after

    assert run(go()) == (True, True)


@pytest.mark.redis
def test_a_class_joining_at_once_is_held_to_the_caps_and_gets_every_place_back():
    """More sockets at once than the shared counts' Redis client had connections (100): the places past
    them were let in uncounted, so a burst of handshakes went past any cap, and releasing them failed
    (their places lapsing only after HELD_SECONDS). Redis starts without the scripts, as after a restart."""
    caps = [limits.Cap("sockets.test.burst", 150)]

    async def go():
        counts = limits.counts()
        assert counts.redis is not None
        await counts.redis.delete(counts.prefix + caps[0].key)
        await counts.redis.script_flush()
        held = await asyncio.gather(*(counts.hold(f"socket-{i}", caps) for i in range(200)))
        open_ = await counts.redis.zcard(counts.prefix + caps[0].key)
        await asyncio.gather(*(counts.release(f"socket-{i}") for i in range(200)))
        left = await counts.redis.zcard(counts.prefix + caps[0].key)
        return held, open_, left

    held, open_, left = run(go())
    assert (held.count(0), held.count(1)) == (150, 50)
    assert (open_, left) == (150, 0)
