"""The negotiation socket end to end in one process: snapshot, actions, acks, events, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from classrooms import services
from negotiations.models import Event, Negotiation, Seat
from tests.base import add_students, student_client
from tests.live import Live, refusal, run

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}


@pytest.fixture
def pair(started_pair):
    negotiation, students = started_pair
    return negotiation, student_client(students["seller"]), student_client(students["buyer"])


def options(issue_key: str, snapshot: dict) -> list[str]:
    issue = next(i for i in snapshot["issues"] if i["key"] == issue_key)
    return [o["key"] for o in issue["options"]]


def test_the_snapshot_gives_my_role_my_points_and_the_events_so_far(pair):
    negotiation, seller, _ = pair

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        snapshot = await live.connect()
        await live.close()
        return snapshot

    snapshot = run(go())
    assert snapshot["type"] == "snapshot"
    assert snapshot["me"]["role"] == "seller" and snapshot["me"]["can_act"] is True
    assert [e["type"] for e in snapshot["events"]] == ["started"] and snapshot["last_seq"] == 1
    handover = next(i for i in snapshot["issues"] if i["key"] == "handover")
    assert all(isinstance(o["points"], int | float) for o in handover["options"])
    price = next(i for i in snapshot["issues"] if i["key"] == "price")
    assert set(price["points"]) == {"at_min", "at_max"}
    assert "buyer" not in str(snapshot["issues"])  # my points only, never the partner's


def test_an_offer_and_an_accept_reach_both_sides_in_order(pair):
    negotiation, seller, buyer = pair

    async def go():
        a, b = Live(f"/ws/negotiations/{negotiation.pk}/", seller), Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await a.connect()
        await b.connect()
        await a.send({"type": "chat", "client_msg_id": "c1", "text": "Hello <b>there</b>"})
        ack = await a.recv_type("ack")
        chat = await b.recv_event("chat")
        await a.send({"type": "offer", "client_msg_id": "o1", "packages": [PACKAGE, {**PACKAGE, "price": 10000}]})
        offer = (await a.recv_type("ack"))["event"]
        seen = await b.recv_event("offer")
        await b.send({"type": "accept", "client_msg_id": "x1", "offer_seq": offer["seq"], "package": 1})
        accepted = (await b.recv_type("ack"))["event"]
        told = await a.recv_event("accept")
        await a.close()
        await b.close()
        return ack, chat, offer, seen, accepted, told

    ack, chat, offer, seen, accepted, told = run(go())
    assert ack["event"]["seq"] == 2 and chat == ack["event"] and chat["payload"]["text"] == "Hello <b>there</b>"
    assert seen == offer and offer["seq"] == 3
    assert accepted == told and accepted["payload"]["terms"]["price"] == "10000"
    negotiation.refresh_from_db()
    assert negotiation.status == "agreed" and negotiation.agreement["price"] == "10000"
    assert list(Event.objects.filter(negotiation=negotiation).values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_a_retried_action_takes_effect_once_and_gets_the_first_ack_again(pair):
    negotiation, seller, _ = pair

    async def go():
        a = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        await a.connect()
        frame = {"type": "offer", "client_msg_id": "same-id", "packages": [PACKAGE]}
        await a.send(frame)
        first = await a.recv_type("ack")
        await a.send(frame)
        second = await a.recv_type("ack")
        await a.close()
        return first, second

    first, second = run(go())
    assert second["duplicate"] is True and second["event"] == first["event"]
    assert Event.objects.filter(negotiation=negotiation, type="offer").count() == 1


@pytest.mark.parametrize(
    ("frame", "code", "words"),
    [
        ("{not json", "bad_json", "not valid JSON"),
        ('{"type": "offer", "client_msg_id": "a", "packages": [{"price": NaN}]}', "bad_json", "NaN"),
        ({"type": "dance", "client_msg_id": "a"}, "unknown_type", "unknown frame type 'dance'"),
        ({"type": "chat", "text": "hi"}, "bad_frame", "needs a 'client_msg_id'"),
        ({"type": "chat", "client_msg_id": "a", "text": 5}, "bad_frame", "'text' must be text"),
        ({"type": "chat", "client_msg_id": "a", "text": "x" * 2001}, "too_long", "limit is 2000"),
        ({"type": "chat", "client_msg_id": "a", "text": "hi", "role": "buyer"}, "bad_frame", "unexpected field"),
        ({"type": "offer", "client_msg_id": "a", "packages": []}, "bad_frame", "1 to 3 packages"),
        ({"type": "offer", "client_msg_id": "a", "packages": [PACKAGE] * 4}, "bad_frame", "1 to 3 packages"),
        ({"type": "offer", "client_msg_id": "a", "packages": [PACKAGE, PACKAGE]}, "bad_package", "must differ"),
        ({"type": "offer", "client_msg_id": "a", "packages": [{**PACKAGE, "price": 9550}]}, "bad_package",
         "packages[0].price: 9550 is not one of the values 8500 to 11000 in steps of 100"),
        ({"type": "offer", "client_msg_id": "a", "packages": [{**PACKAGE, "price": 10**30}]}, "bad_package",
         "is not one of the values"),
        ({"type": "offer", "client_msg_id": "a", "packages": [{**PACKAGE, "tyres": "gold"}]}, "bad_package",
         "packages[0].tyres: 'gold' is not an option"),
        ({"type": "offer", "client_msg_id": "a", "packages": [{"price": 9500}]}, "bad_package", "has no option for"),
        ({"type": "accept", "client_msg_id": "a", "offer_seq": "3", "package": 0}, "bad_frame", "whole number"),
        ({"type": "accept", "client_msg_id": "a", "offer_seq": 2**40, "package": 0}, "bad_frame", "between"),
        ("x" * 20_000, "too_large", "at most 16384 bytes"),
        ("[" * 5000 + "]" * 5000, "bad_json", "nested too deeply"),
        ({"type": "chat", "client_msg_id": "a", "text": "\ud800"}, "bad_frame", "lone surrogate"),
        ({"type": "chat", "client_msg_id": "\u0000", "text": "hi"}, "bad_frame", "printable"),
        ({"type": "offer", "client_msg_id": "a", "packages": [{**PACKAGE, "price": "1e10000000"}]}, "bad_package",
         "must be a number like 9500"),
        ({"type": "offer", "client_msg_id": "a", "packages": [{**PACKAGE, "price": "19000/2"}]}, "bad_package",
         "must be a number like 9500"),
    ],
)  # fmt: skip
def test_a_bad_frame_gets_an_error_naming_the_problem_and_changes_nothing(pair, frame, code, words):
    negotiation, seller, _ = pair

    async def go():
        a = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        await a.connect()
        await a.send(frame)
        error = await a.recv_type("error")
        await a.close()
        return error

    error = run(go())
    assert error["code"] == code and words in error["message"]
    assert Event.objects.filter(negotiation=negotiation).count() == 1  # only "started"


@pytest.mark.parametrize(
    ("setup", "action", "code"),
    [
        ("own offer", {"type": "accept", "package": 0}, "own_offer"),
        ("replaced", {"type": "accept", "package": 0}, "not_standing"),
        ("partner offer", {"type": "withdraw"}, "not_standing"),
        ("partner offer", {"type": "accept", "package": 2}, "no_such_package"),
    ],
)
def test_the_rules_refuse_what_the_table_does_not_allow(pair, setup, action, code):
    negotiation, seller, buyer = pair

    async def go():
        a, b = Live(f"/ws/negotiations/{negotiation.pk}/", seller), Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await a.connect()
        await b.connect()
        await a.send({"type": "offer", "client_msg_id": "o1", "packages": [PACKAGE]})
        first = (await a.recv_type("ack"))["event"]["seq"]
        actor = a if setup == "own offer" else b
        if setup == "replaced":
            await a.send({"type": "offer", "client_msg_id": "o2", "packages": [{**PACKAGE, "price": 9900}]})
            await a.recv_type("ack")
        await actor.send({**action, "client_msg_id": "act", "offer_seq": first})
        error = await actor.recv_type("error")
        await a.close()
        await b.close()
        return error

    assert run(go())["code"] == code
    negotiation.refresh_from_db()
    assert negotiation.status == "negotiating"


def test_withdraw_reject_and_walk_away(pair):
    negotiation, seller, buyer = pair

    async def go():
        a, b = Live(f"/ws/negotiations/{negotiation.pk}/", seller), Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await a.connect()
        await b.connect()
        await a.send({"type": "offer", "client_msg_id": "o1", "packages": [PACKAGE]})
        seq = (await a.recv_type("ack"))["event"]["seq"]
        await a.send({"type": "withdraw", "client_msg_id": "w1", "offer_seq": seq})
        await a.recv_type("ack")
        await b.send({"type": "accept", "client_msg_id": "x1", "offer_seq": seq, "package": 0})
        refused = await b.recv_type("error")
        await a.send({"type": "offer", "client_msg_id": "o2", "packages": [PACKAGE]})
        seq = (await a.recv_type("ack"))["event"]["seq"]
        await b.send({"type": "reject", "client_msg_id": "r1", "offer_seq": seq, "reason": "Too dear"})
        await b.recv_type("ack")
        await b.send({"type": "walk_away", "client_msg_id": "q1", "reason": "Found another car"})
        await b.recv_type("ack")
        gone = await a.recv_event("walk_away")
        await a.send({"type": "chat", "client_msg_id": "late", "text": "wait"})
        after = await a.recv_type("error")
        await a.close()
        await b.close()
        return refused, gone, after

    refused, gone, after = run(go())
    assert refused["code"] == "not_standing"
    assert gone["payload"] == {"reason": "Found another car"}
    assert after["code"] == "ended"
    negotiation.refresh_from_db()
    assert (negotiation.status, negotiation.end_reason) == ("impasse", "walk_away")


def test_a_reconnecting_client_gets_only_what_it_missed(pair):
    negotiation, seller, buyer = pair

    async def go():
        a = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        snapshot = await a.connect()
        await a.close()  # the seller's phone drops off
        b = Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await b.connect()
        for i in range(3):
            await b.send({"type": "chat", "client_msg_id": f"c{i}", "text": f"message {i}"})
            await b.recv_type("ack")
        a = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        await a.connect()
        await a.send({"type": "resume", "last_seq": snapshot["last_seq"]})
        missed = await a.recv_type("events")
        await a.close()
        await b.close()
        return missed

    missed = run(go())
    assert [e["seq"] for e in missed["events"]] == [2, 3, 4]
    assert [e["payload"]["text"] for e in missed["events"]] == ["message 0", "message 1", "message 2"]


def test_after_the_deadline_actions_are_refused_and_the_pair_ends_in_impasse(pair):
    negotiation, seller, buyer = pair
    Negotiation.objects.filter(pk=negotiation.pk).update(deadline=timezone.now() + timedelta(milliseconds=300))

    async def go():
        a, b = Live(f"/ws/negotiations/{negotiation.pk}/", seller), Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await a.connect()
        await b.connect()
        closed_a = await a.recv_event("deadline")  # each socket's timer closes the pair on time
        closed_b = await b.recv_event("deadline")
        await a.send({"type": "offer", "client_msg_id": "late", "packages": [PACKAGE]})
        error = await a.recv_type("error")
        await a.close()
        await b.close()
        return closed_a, closed_b, error

    closed_a, closed_b, error = run(go())
    assert closed_a == closed_b
    assert error["code"] == "ended"
    assert Event.objects.filter(negotiation=negotiation, type="deadline").count() == 1


@pytest.mark.parametrize("who", ["anonymous", "student of another pair", "bad origin", "no origin"])
def test_outsiders_cannot_open_the_socket(pair, exercise, classroom, who):
    negotiation, seller, _ = pair
    if who == "student of another pair":
        (other,) = add_students(classroom, "Eve")
        outsider = student_client(other)

    async def go():
        if who == "anonymous":
            live = Live(f"/ws/negotiations/{negotiation.pk}/")
        elif who == "student of another pair":
            live = Live(f"/ws/negotiations/{negotiation.pk}/", outsider)
        elif who == "bad origin":
            live = Live(f"/ws/negotiations/{negotiation.pk}/", seller, origin=b"http://evil.example")
        else:
            live = Live(f"/ws/negotiations/{negotiation.pk}/", seller, origin=None)
        try:
            await live.connect()
        except ConnectionRefusedError as refused:
            return refused.args[0]
        return "connected"

    code = run(go())
    refused = "handshake refused"
    expected = {"anonymous": 4401, "student of another pair": 4404, "bad origin": refused, "no origin": refused}[who]
    assert code == expected, code


def test_revoking_a_link_closes_the_students_open_socket(pair):
    negotiation, seller, _ = pair
    student = Seat.objects.get(negotiation=negotiation, role_key="seller").student

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        await live.connect()
        await database_sync_to_async(services.student_link_revoke)(student=student)
        return await live.recv_type("close")

    assert run(go()) == {"type": "close", "code": 4401}


def test_a_second_tab_closing_does_not_make_the_student_look_offline(pair):
    negotiation, seller, buyer = pair

    async def go():
        tab_one = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        tab_two = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        partner = Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await tab_one.connect()
        await tab_two.connect()
        await partner.connect()
        await tab_two.close()
        seen = []
        while not seen or seen[-1]["online"] is False:
            frame = await partner.recv_type("presence")
            if frame["role"] == "seller":
                seen.append(frame)
        await tab_one.close()
        await partner.close()
        return seen

    seen = run(go())
    assert seen[-1] == {"type": "presence", "role": "seller", "kind": "student", "online": True}


@pytest.mark.parametrize(
    "path", ["/ws/negotiations/abc/", "/ws/negotiations/1/extra/", "/ws/exercises/x/monitor/", "/ws/", "/nowhere"]
)
def test_a_socket_to_a_path_without_a_route_is_closed_as_not_found(path):
    assert run(refusal(Live(path))) == 4404
