"""What a bot negotiator decides, without Django or sockets (docs/bots.md).

A bot knows what a student knows: its own points for every option, its own BATNA, the clock, and the
offers the partner has made. It never sees the partner's points. Given the same seed and the same
situations, it makes the same moves.

Every strategy is time-dependent: the bot's aspiration (the points it demands) falls from its best
package at the start of the round to its floor (its BATNA, or higher) at the deadline, as
`floor + (best - floor) * (1 - t ** (1 / e))`, t the share of the round gone. With e < 1 it holds out
and concedes late (Boulware); with e > 1 it concedes early. Among the packages worth about its
aspiration it offers the one most like the partner's latest offer, which is how two bots find trades
neither was told about.

- tough: e = 0.2, concedes late.
- conceder: e = 2.5, concedes early and steadily.
- logroller: e = 0.6, keeps its high-priority issues (those with the widest spread of its points,
  together at least half of its range) at its best option and gives only on the others.
- meso: e = 1, offers up to three different packages of equal value to itself (within a tolerance).

The accept rule is shared: accept the partner's best package for the bot when it reaches the bot's
current aspiration; near the deadline, accept anything at or above the BATNA; never below it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

from core.spec import Scenario, format_number, plain

Package = dict[str, str]  # issue key -> option key (a numeric issue's value as text, "9500")


# What the bot knows: its own sheet


@dataclass(frozen=True)
class Choice:
    key: str
    points: Fraction
    position: float  # where the choice lies along its issue, 0 to 1 (for how alike two packages are)


@dataclass(frozen=True)
class IssueSheet:
    key: str
    numeric: bool
    choices: tuple[Choice, ...]

    # Read at every step of a bot's search: worked out once a sheet (the choices never change).
    @cached_property
    def best(self) -> Fraction:
        return max(c.points for c in self.choices)

    @cached_property
    def worst(self) -> Fraction:
        return min(c.points for c in self.choices)

    @cached_property
    def weight(self) -> Fraction:
        """How much the issue matters to this side: the spread of its points."""
        return self.best - self.worst

    def choice(self, key: str) -> Choice:
        found = self._by_key.get(key)
        if found is None:
            raise KeyError(f"{key!r} is not an option of {self.key!r}")
        return found

    @cached_property
    def _by_key(self) -> dict[str, Choice]:
        return {c.key: c for c in reversed(self.choices)}  # reversed: a repeated key finds its first choice


@dataclass(frozen=True)
class Sheet:
    """One role's own points per option and its own BATNA. Never the partner's."""

    issues: tuple[IssueSheet, ...]
    batna: Fraction

    @classmethod
    def from_scenario(cls, scenario: Scenario, role: str) -> Sheet:
        issues = []
        for issue in scenario.issues:
            choices = issue.choices()
            last = max(len(choices) - 1, 1)
            issues.append(
                IssueSheet(
                    issue.key,
                    issue.kind == "numeric",
                    tuple(Choice(c.key, c.points[role], i / last) for i, c in enumerate(choices)),
                )
            )
        return cls(tuple(issues), scenario.role(role).batna)

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Sheet:
        """The sheet a negotiator's snapshot frame carries (docs/protocol.md): its own points only."""
        me = snapshot["me"]
        if me.get("batna") is None:
            raise ValueError("the snapshot has no BATNA: this socket is not a negotiator's")
        issues = []
        for item in snapshot["issues"]:
            if item["kind"] == "numeric":
                low, high, step = _exact(item["min"]), _exact(item["max"]), _exact(item["step"])
                line = item.get("points")
                if line is None or step <= 0:
                    raise ValueError(f"issue {item['key']!r} has no points for this role")
                at_min, at_max = _exact(line["at_min"]), _exact(line["at_max"])
                count = int((high - low) / step)
                values = [low + i * step for i in range(count + 1)]
                span = high - low
                choices = tuple(
                    Choice(
                        format_number(v),
                        at_min + (at_max - at_min) * ((v - low) / span) if span else at_min,
                        i / max(count, 1),
                    )
                    for i, v in enumerate(values)
                )
                issues.append(IssueSheet(item["key"], True, choices))
            else:
                options = item["options"]
                if any("points" not in o for o in options):
                    raise ValueError(f"issue {item['key']!r} has no points for this role")
                last = max(len(options) - 1, 1)
                issues.append(
                    IssueSheet(
                        item["key"],
                        False,
                        tuple(Choice(o["key"], _exact(o["points"]), i / last) for i, o in enumerate(options)),
                    )
                )
        return cls(tuple(issues), _exact(me["batna"]))

    @property
    def best(self) -> Fraction:
        return sum((i.best for i in self.issues), Fraction(0))

    @property
    def worst(self) -> Fraction:
        return sum((i.worst for i in self.issues), Fraction(0))

    def normalise(self, package: Mapping[str, Any]) -> Package:
        """A package as the server sends it, with numeric values as canonical text ("9500", not 9500.0)."""
        out: Package = {}
        for issue in self.issues:
            value = package[issue.key]
            out[issue.key] = format_number(_exact(value)) if issue.numeric else str(value)
        return out

    def points(self, package: Mapping[str, Any]) -> Fraction:
        normal = self.normalise(package)
        return sum((i.choice(normal[i.key]).points for i in self.issues), Fraction(0))

    def wire(self, package: Package) -> dict[str, Any]:
        """A package for a frame: numeric values as JSON numbers."""
        return {i.key: plain(_exact(package[i.key])) if i.numeric else package[i.key] for i in self.issues}

    def distance(self, a: Package, b: Package) -> float:
        """How unlike two packages are, 0 (the same) to 1 (different everywhere)."""
        if not self.issues:
            return 0.0
        total = 0.0
        for issue in self.issues:
            x, y = issue.choice(a[issue.key]), issue.choice(b[issue.key])
            total += abs(x.position - y.position) if issue.numeric else float(x.key != y.key)
        return total / len(self.issues)


def _exact(value: Any) -> Fraction:
    if isinstance(value, bool):
        raise ValueError("a number was expected, not a boolean")
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, int | str | Fraction):
        return Fraction(value)
    raise ValueError(f"a number was expected, got {value!r}")


# Strategies


@dataclass(frozen=True)
class Strategy:
    name: str
    concession: float  # e: below 1 holds out (Boulware), above 1 concedes early
    keep_top: bool = False  # logroller: never give on the issues that matter most
    packages: int = 1  # MESO: several packages of equal value per offer
    tolerance: float = 0.03  # MESO: how equal, as a share of the sheet's range


STRATEGIES: dict[str, Strategy] = {
    "tough": Strategy("tough", 0.2),
    "conceder": Strategy("conceder", 2.5),
    "logroller": Strategy("logroller", 0.6, keep_top=True),
    "meso": Strategy("meso", 1.0, packages=3),
}
TOP_SHARE = Fraction(1, 2)  # a logroller's top issues carry at least this share of its range


def top_issues(sheet: Sheet) -> frozenset[str]:
    """The issues that matter most to this side, widest spread first, until they hold half its range.

    At least one issue is left out when there are two or more, so that there is something to give."""
    ranked = sorted(sheet.issues, key=lambda i: (-i.weight, i.key))
    total = sum((i.weight for i in ranked), Fraction(0))
    top: list[str] = []
    held = Fraction(0)
    for issue in ranked[: max(len(ranked) - 1, 1)]:
        if total <= 0 or held >= total * TOP_SHARE:
            break
        top.append(issue.key)
        held += issue.weight
    return frozenset(top)


# What the bot sees, and what it does


@dataclass(frozen=True)
class Standing:
    seq: int
    packages: tuple[Package, ...]


@dataclass(frozen=True)
class Situation:
    elapsed: float  # the share of the round gone, 0 to 1
    seconds_left: float
    own: Standing | None = None  # the bot's own offer on the table
    partner: Standing | None = None  # the partner's offer on the table
    partner_offers: tuple[tuple[Package, ...], ...] = ()  # every offer the partner made, oldest first
    # In a post-settlement round: the agreement, the bot's floor (elapsed and seconds_left are the round's).
    agreement: Package | None = None


@dataclass(frozen=True)
class Move:
    type: str  # wait, offer, accept, walk_away or keep
    packages: tuple[Package, ...] = ()
    offer_seq: int = 0
    package: int = 0
    reason: str = ""

    def frame(self, sheet: Sheet) -> dict[str, Any]:
        """The protocol frame of this move (without its client_msg_id)."""
        if self.type == "offer":
            return {"type": "offer", "packages": [sheet.wire(p) for p in self.packages]}
        if self.type == "accept":
            return {"type": "accept", "offer_seq": self.offer_seq, "package": self.package}
        if self.type == "walk_away":
            return {"type": "walk_away", "reason": self.reason}
        if self.type == "keep":
            return {"type": "keep"}
        raise ValueError(f"a {self.type!r} move sends no frame")


WAIT = Move("wait")
SEARCH_LIMIT = 200  # candidate packages collected per search
SEARCH_NODES = 50_000  # partial packages visited per search, at most


class Bot:
    """One bot's decisions. `decide` is deterministic given the seed and the situations seen so far."""

    def __init__(
        self,
        sheet: Sheet,
        strategy: Strategy | str,
        *,
        seed: int = 0,
        endgame: float = 0.1,
        endgame_seconds: float = 5.0,
        step: float = 0.04,
    ) -> None:
        self.sheet = sheet
        self.strategy = STRATEGIES[strategy] if isinstance(strategy, str) else strategy
        self.rng = random.Random(seed)
        self.endgame = endgame  # the last share of the round in which anything at or above the BATNA will do
        self.endgame_seconds = endgame_seconds  # ... or the last seconds
        self.step = step  # a smaller concession than this share of the range is not worth a new offer
        self.top = top_issues(sheet) if self.strategy.keep_top else frozenset()
        kept = sum(
            (i.best if i.key in self.top else i.worst for i in sheet.issues),
            Fraction(0),
        )
        self.floor = max(sheet.batna, kept) if self.top else sheet.batna
        self.range = max(sheet.best - sheet.worst, Fraction(1))

    def aspiration(self, elapsed: float) -> Fraction:
        """The points the bot demands when `elapsed` of the round has gone: never below its floor."""
        best = self.sheet.best
        if best <= self.floor:
            return self.floor
        t = min(max(elapsed, 0.0), 1.0)
        keep = Fraction(1.0 - t ** (1.0 / self.strategy.concession))
        return self.floor + (best - self.floor) * min(max(keep, Fraction(0)), Fraction(1))

    def in_endgame(self, situation: Situation) -> bool:
        return situation.elapsed >= 1.0 - self.endgame or situation.seconds_left <= self.endgame_seconds

    def decide(self, situation: Situation) -> Move:
        if situation.agreement is not None:
            return self.improve(situation, situation.agreement)
        sheet = self.sheet
        if sheet.best < sheet.batna:
            return Move("walk_away", reason="No agreement here can beat my alternative.")
        target = self.aspiration(situation.elapsed)
        partner = situation.partner
        if partner is not None and partner.packages:
            worth = [sheet.points(p) for p in partner.packages]
            index = max(range(len(worth)), key=lambda i: (worth[i], -i))
            enough = sheet.batna if self.in_endgame(situation) else target
            if worth[index] >= max(enough, sheet.batna):
                return Move("accept", offer_seq=partner.seq, package=index)
        latest = tuple(sheet.normalise(p) for p in situation.partner_offers[-1]) if situation.partner_offers else ()
        own = situation.own
        if self.still_standing(situation, target):
            return WAIT  # the offer on the table is still about what the bot wants
        packages = self.compose(target, latest)
        if not packages:
            return WAIT
        if own is not None and {_key(p) for p in packages} == {_key(sheet.normalise(p)) for p in own.packages}:
            return WAIT
        return Move("offer", packages=packages)

    def still_standing(self, situation: Situation, target: Fraction) -> bool:
        """The bot's offer on the table is unanswered by a newer offer and still about `target`."""
        own, partner = situation.own, situation.partner
        if own is None or (partner is not None and partner.seq > own.seq):
            return False
        return min(self.sheet.points(p) for p in own.packages) - target < self.range * Fraction(self.step)

    def improve(self, situation: Situation, agreement: Package) -> Move:
        """A post-settlement round: the agreement is the floor. Accept the partner's best package for the
        bot when it is at least as good as the agreement; offer packages at least as good (from the
        bot's best down to the agreement's points as the round goes, by its strategy's pace); keep the
        agreement in the round's last share, or when nothing better than the agreement is left to offer."""
        sheet = self.sheet
        floor = sheet.points(agreement)
        partner = situation.partner
        if partner is not None and partner.packages:
            worth = [sheet.points(p) for p in partner.packages]
            index = max(range(len(worth)), key=lambda i: (worth[i], -i))
            if worth[index] >= floor:
                return Move("accept", offer_seq=partner.seq, package=index)
        if self.in_endgame(situation):
            return Move("keep")
        t = min(max(situation.elapsed, 0.0), 1.0)
        target = floor + (sheet.best - floor) * Fraction(max(1.0 - t ** (1.0 / self.strategy.concession), 0.0))
        latest = tuple(sheet.normalise(p) for p in situation.partner_offers[-1]) if situation.partner_offers else ()
        own = situation.own
        if self.still_standing(situation, target):
            return WAIT
        signed = _key(sheet.normalise(agreement))
        packages = tuple(p for p in self.compose(target, latest, floor) if _key(p) != signed)
        if not packages:
            return Move("keep") if target - floor < self.range * Fraction(self.step) else WAIT
        if own is not None and {_key(p) for p in packages} == {_key(sheet.normalise(p)) for p in own.packages}:
            return WAIT
        return Move("offer", packages=packages)

    # Composing an offer

    def compose(
        self, target: Fraction, latest: Sequence[Package] = (), floor: Fraction | None = None
    ) -> tuple[Package, ...]:
        """Packages worth at least `target` (and the floor: the bot's own, or the one given) to the bot,
        most like the partner's latest offer."""
        target = max(target, self.floor if floor is None else floor)
        if target > self.sheet.best:
            return ()
        slack = self.range * Fraction(self.strategy.tolerance if self.strategy.packages > 1 else self.step)
        width = slack
        found: list[tuple[Package, Fraction]] = []
        while not found:
            found = self._search(target, target + width, latest)
            if target + width >= self.sheet.best:
                break
            width *= 2
        if not found:
            return ()
        low = min(points for _, points in found)
        band = [(p, points) for p, points in found if points <= low + slack]
        ranked = sorted(band, key=lambda item: (self._unlike(item[0], latest), item[1], _key(item[0])))
        chosen = [ranked[0][0]]
        if self.strategy.packages > 1:
            rest = [p for p, _ in ranked[1:]]
            while rest and len(chosen) < self.strategy.packages:
                far = max(rest, key=lambda p: (min(self.sheet.distance(p, c) for c in chosen), _key(p)))
                if min(self.sheet.distance(far, c) for c in chosen) == 0:
                    break
                chosen.append(far)
                rest.remove(far)
        elif len(ranked) > 1 and not latest:
            # Nothing to imitate yet: any package of the band will do; the seed picks which.
            closest = [p for p, points in ranked if points == ranked[0][1]]
            chosen = [closest[self.rng.randrange(len(closest))]]
        return tuple(chosen)

    def _unlike(self, package: Package, latest: Sequence[Package]) -> float:
        if not latest:
            return 0.0
        return min(self.sheet.distance(package, other) for other in latest)

    def _search(self, low: Fraction, high: Fraction, latest: Sequence[Package]) -> list[tuple[Package, Fraction]]:
        """Complete packages worth between `low` and `high` to the bot, by depth-first search with bounds.

        Issues are tried widest first; within an issue the partner's latest choice (and its neighbours)
        first, then the bot's own best; at most SEARCH_LIMIT packages and SEARCH_NODES steps."""
        issues = sorted(self.sheet.issues, key=lambda i: (-i.weight, i.key))
        orders: list[list[Choice]] = []
        for issue in issues:
            choices = list(issue.choices)
            if issue.key in self.top:
                choices = [c for c in choices if c.points == issue.best]
            wanted = [issue.choice(p[issue.key]).position for p in latest]
            orders.append(sorted(choices, key=_nearest_first(wanted)))
        # The walk adds whole numbers: every point times the denominators' least common multiple (exact,
        # and a tenth of the time Fractions take on a scenario of ten issues).
        scale = math.lcm(*(c.points.denominator for order in orders for c in order), low.denominator, high.denominator)
        scaled = [[(c, int(c.points * scale)) for c in order] for order in orders]
        # Whole-number bounds, as exact for a whole-number sum: below low * scale is below its ceiling, above
        # high * scale above its floor (comparing with the Fractions took most of a bot's time).
        low_n, high_n = math.ceil(low * scale), math.floor(high * scale)
        most = [0] * (len(issues) + 1)
        least = [0] * (len(issues) + 1)
        for i in range(len(issues) - 1, -1, -1):
            most[i] = most[i + 1] + max(n for _, n in scaled[i])
            least[i] = least[i + 1] + min(n for _, n in scaled[i])
        found: list[tuple[Package, int]] = []
        chosen: list[Choice] = []
        visits = 0

        def walk(depth: int, points: int) -> None:
            nonlocal visits
            visits += 1
            if len(found) >= SEARCH_LIMIT or visits > SEARCH_NODES:
                return
            if points + most[depth] < low_n or points + least[depth] > high_n:
                return
            if depth == len(issues):
                found.append(({i.key: c.key for i, c in zip(issues, chosen, strict=True)}, points))
                return
            for choice, n in scaled[depth]:
                chosen.append(choice)
                walk(depth + 1, points + n)
                chosen.pop()

        walk(0, 0)
        order = [i.key for i in self.sheet.issues]
        return [({k: p[k] for k in order}, Fraction(points, scale)) for p, points in found]


def _key(package: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(package.items()))


def _nearest_first(wanted: Sequence[float]) -> Callable[[Choice], tuple[float, Fraction, str]]:
    """Order an issue's choices: nearest to what the partner asked for, then the bot's best."""

    def order(choice: Choice) -> tuple[float, Fraction, str]:
        return (min((abs(choice.position - w) for w in wanted), default=0.0), -choice.points, choice.key)

    return order


# Pace: a bot seat the server plays thinks like a person


JITTER = 0.25  # a think time varies by this share either way


def think_for(think: float, rng: random.Random) -> float:
    """One think time: `think` seconds, give or take JITTER."""
    return think * rng.uniform(1 - JITTER, 1 + JITTER)


def pace(*, now: float, partner_acted_at: float | None, think: float, rng: random.Random) -> tuple[bool, float]:
    """Whether the bot may move at `now` (seconds), and when it next considers moving.

    It never answers the partner sooner than the shortest think time after the partner's latest action:
    before then it waits until one think time after it. So a partner who keeps acting (spamming offers)
    only delays the bot; it moves at most once per think time, and within the longest think time after
    the partner's latest action."""
    if partner_acted_at is not None and now - partner_acted_at < think * (1 - JITTER):
        return False, partner_acted_at + think_for(think, rng)
    return True, now + think_for(think, rng)
