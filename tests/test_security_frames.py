"""No frame the server sends grows with the length of a negotiation, and a negotiation stores a bounded
amount: one student writing as much as the rate limit lets them cannot lock their pair's room.

A snapshot carries the state and the latest events only; history comes in pages the client asks for
(`history`), and `resume` answers a page at a time too (docs/protocol.md). The long histories here are
written straight into the database.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect as ws_connect

from classrooms.services import student_link_token
from core.negotiation import Action
from core.refusal import Refused
from negotiations.acting import negotiation_act
from negotiations.client import LiveClient, sign_in
from negotiations.models import Event, Negotiation
from tests.base import long_history, seats_by_role, student_client
from tests.live import Live, run

PACKAGE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "included"}
# What the docs promise: a page of events is at most 32,768 bytes (or one event, if larger); a snapshot's
# own fields are a few kilobytes for a built-in scenario.
PAGE_BYTES = 32_768
SNAPSHOT_BOUND = PAGE_BYTES + 16_384
LARGEST_CHAT = "\U0001f600" * 2000  # 2,000 characters, each 12 bytes as JSON escapes


def page_size(frame: dict[str, Any]) -> int:
    return sum(len(json.dumps(e, separators=(",", ":"))) for e in frame["events"])


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_on_daphne_a_pair_with_a_history_past_the_frame_limit_still_gets_small_snapshots_and_pages(
    live_daphne, started_pair, exercise, instructor_client
):
    """540 chats of 2,000 characters made the snapshot larger than Daphne's 1 MB frame: every socket of
    the pair, the instructor's too, closed 1011 before its snapshot. Here 60 chats of 24 KB each (1.4 MB)."""
    negotiation, students = started_pair
    last = long_history(negotiation, 60, LARGEST_CHAT)
    port = live_daphne
    base = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation.pk}/"
    cookies = [sign_in(base, f"/s/{student_link_token(s)}/") for s in students.values()]
    cookies.append(f"sessionid={instructor_client.cookies['sessionid'].value}")

    async def conversation(cookie: str) -> tuple[str, list[str]]:
        async with ws_connect(url, origin=base, additional_headers={"Cookie": cookie}, max_size=None) as ws:
            snapshot = await asyncio.wait_for(ws.recv(), 10)
            answers = []
            for frame in (
                {"type": "resume", "last_seq": 0},
                {"type": "resume", "last_seq": last - 3},
                {"type": "history", "before_seq": last + 1, "limit": 100},
                {"type": "history", "before_seq": 3, "limit": 100},
            ):
                await ws.send(json.dumps(frame))
                answer = await asyncio.wait_for(ws.recv(), 10)
                while json.loads(answer)["type"] == "presence":  # the others of the pair, leaving
                    answer = await asyncio.wait_for(ws.recv(), 10)
                answers.append(answer)
            return str(snapshot), [str(a) for a in answers]

    async def everyone() -> list[tuple[str, list[str]]]:
        return [await conversation(cookie) for cookie in cookies]

    async def read_all() -> tuple[list[int], list[int]]:
        reader = LiveClient(url, cookies[0], base)
        await reader.connect()
        await reader.load_history()
        await reader.close()
        # A client that had only the first event when it reconnects resumes, page after page.
        behind = LiveClient(url, cookies[1], base, events=reader.events[:1], last_seq=1)
        await behind.connect()
        await behind.wait_for(lambda c: c.last_seq == short, timeout=10)
        await behind.close()
        return [e["seq"] for e in reader.events], [e["seq"] for e in behind.events]

    results = asyncio.run(everyone())
    # The Python client reads a whole history in pages, backwards and forwards (here of ordinary
    # chats: a page of 24 KB chats holds one, and the socket's rate allows 5 pages a second).
    Event.objects.filter(negotiation=negotiation, seq__gt=1).delete()
    Negotiation.objects.filter(pk=negotiation.pk).update(last_seq=1)
    short = long_history(negotiation, 299, text="A fair price, I think.")
    read, resumed = asyncio.run(read_all())
    assert read == resumed == list(range(1, short + 1))
    for text, answers in results:
        snapshot = json.loads(text)
        assert snapshot["type"] == "snapshot", snapshot
        assert len(text) < SNAPSHOT_BOUND, len(text)
        assert snapshot["last_seq"] == last and snapshot["events"][-1]["seq"] == last
        assert snapshot["earlier"] is True
        first, tail, latest, oldest = map(json.loads, answers)
        assert first["type"] == "events" and first["more"] is True and first["events"][0]["seq"] == 1
        assert max(len(a) for a in answers) < PAGE_BYTES + 1024
        assert [e["seq"] for e in tail["events"]] == [last - 2] and tail["more"] is True  # one 24 KB event a page
        assert latest["type"] == "history" and latest["events"][-1]["seq"] == last and latest["earlier"] is True
        assert [e["seq"] for e in oldest["events"]] == [1, 2] and oldest["earlier"] is False


@pytest.mark.django_db(transaction=True)
def test_resume_and_history_answer_bounded_pages_that_together_hold_every_event_once(started_pair):
    negotiation, students = started_pair
    last = long_history(negotiation, 150, text="short message")
    client = student_client(students["seller"])

    async def go() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        live = Live(f"/ws/negotiations/{negotiation.pk}/", client)
        snapshot = await live.connect()
        forward, backward = [], []
        seq = 0
        while True:  # resume from the start, a page at a time
            await live.send({"type": "resume", "last_seq": seq})
            page = await live.recv_type("events")
            forward.append(page)
            seq = page["events"][-1]["seq"]
            if not page["more"]:
                break
        before = snapshot["events"][0]["seq"]
        await live.send({"type": "history", "before_seq": before, "limit": 5})
        few = await live.recv_type("history")
        assert [e["seq"] for e in few["events"]] == list(range(before - 5, before)) and few["earlier"] is True
        while True:  # history back from the snapshot's first event
            await live.send({"type": "history", "before_seq": before, "limit": 40})
            page = await live.recv_type("history")
            backward.append(page)
            before = page["events"][0]["seq"]
            if not page["earlier"]:
                break
        await live.close()
        return snapshot, forward, backward

    snapshot, forward, backward = run(go())
    assert 1 <= len(snapshot["events"]) <= 50 and snapshot["earlier"] is True
    assert [e["seq"] for page in forward for e in page["events"]] == list(range(1, last + 1))
    assert all(len(page["events"]) <= 100 for page in forward)
    assert all(len(page["events"]) <= 40 and page_size(page) <= PAGE_BYTES for page in backward)
    seqs = [e["seq"] for page in reversed(backward) for e in page["events"]] + [e["seq"] for e in snapshot["events"]]
    assert seqs == list(range(1, last + 1))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"type": "history", "limit": 10}, "before_seq"),
        ({"type": "history", "before_seq": 0, "limit": 10}, "before_seq"),
        ({"type": "history", "before_seq": 5, "limit": 0}, "limit"),
        ({"type": "history", "before_seq": 5, "limit": 101}, "limit"),
        ({"type": "history", "before_seq": 5, "limit": "10"}, "limit"),
    ],
)
def test_a_history_frame_out_of_bounds_gets_an_error_naming_the_field(started_pair, frame, field):
    negotiation, students = started_pair
    client = student_client(students["seller"])

    async def go() -> dict[str, Any]:
        live = Live(f"/ws/negotiations/{negotiation.pk}/", client)
        await live.connect()
        await live.send(frame)
        answer = await live.recv_type("error", "history")
        await live.close()
        return answer

    answer = run(go())
    assert (answer["type"], answer["code"], answer["field"]) == ("error", "bad_frame", field)


def _act(negotiation: Negotiation, role: str, action: Action) -> dict[str, Any]:
    return negotiation_act(negotiation_id=negotiation.pk, seat=seats_by_role(negotiation)[role], action=action).event


@pytest.mark.django_db(transaction=True)
def test_a_negotiation_at_its_event_limit_takes_no_more_chat_or_offers_but_can_still_end(started_pair):
    negotiation, _ = started_pair
    last = long_history(negotiation, 2000 - 1, text="hi")  # with `started`: 2,000 events
    for action in (Action("chat", "c1", text="one more"), Action("offer", "o1", packages=(PACKAGE,))):
        with pytest.raises(Refused) as refused:
            _act(negotiation, "seller", action)
        assert refused.value.code == "negotiation_full"
        assert "2,000" in refused.value.message
    assert Negotiation.objects.get(pk=negotiation.pk).last_seq == last
    walked = _act(negotiation, "buyer", Action("walk_away", "w1", reason="enough"))
    assert walked["seq"] == last + 1 and Negotiation.objects.get(pk=negotiation.pk).status == "impasse"


@pytest.mark.django_db(transaction=True)
def test_a_negotiation_past_its_chat_characters_takes_no_more_chat_but_offers_go_on(started_pair):
    negotiation, _ = started_pair
    text = "x" * 2000
    long_history(negotiation, 99, text=text)
    Negotiation.objects.filter(pk=negotiation.pk).update(chat_characters=99 * 2000)
    last = _act(negotiation, "buyer", Action("chat", "c-last", text=text))["seq"]  # 200,000 characters
    with pytest.raises(Refused) as refused:
        _act(negotiation, "seller", Action("chat", "c-over", text="x"))
    assert refused.value.code == "negotiation_full"
    assert "200,000" in refused.value.message
    assert Negotiation.objects.get(pk=negotiation.pk).chat_characters == 200_000
    offer = _act(negotiation, "seller", Action("offer", "o1", packages=(PACKAGE,)))
    assert offer["seq"] == last + 1


@pytest.mark.django_db
def test_the_transcript_page_shows_a_long_history_two_hundred_events_a_page(started_pair, exercise, instructor_client):
    negotiation, _ = started_pair
    last = long_history(negotiation, 449, text="Line {seq}")  # with `started`: 450 events
    url = f"/exercises/{exercise.pk}/pairs/{negotiation.number}/"
    pages = [instructor_client.get(url, {"page": n} if n else {}) for n in (None, 2, 3)]
    assert all(page.status_code == 200 for page in pages)
    texts = [page.content.decode() for page in pages]
    assert [t.count('class="event event-') for t in texts] == [200, 200, 50]
    assert "Line 2\n" in texts[0] and "Line 200\n" in texts[0] and "Line 201\n" not in texts[0]
    assert f"Line {last}\n" in texts[2] and "?page=2" in texts[2] and "page 3 of 3" in texts[2]
    assert instructor_client.get(url, {"page": 9}).status_code == 404
