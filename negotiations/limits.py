"""What one socket, seat or user may send and hold: the rates and caps of the live sockets
(docs/protocol.md, "Limits"; docs/operations.md). The consumers count every frame here as it arrives,
before any parsing or database work.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from negotiations.protocol import CLOSE_TOO_MANY

__all__ = ["CLOSE_TOO_MANY", "FRAMES_PER_SECOND", "FRAME_BURST", "REFUSALS_BEFORE_CLOSE", "TokenBucket"]

# Frames a socket may send: bursts of FRAME_BURST, FRAMES_PER_SECOND on average. A browser sends a
# typing frame every 2 s at most and resends its unacknowledged actions after a reconnect, far below.
# Past the limit a frame is refused with an error (nothing stored); a socket that keeps on flooding
# (REFUSALS_BEFORE_CLOSE refusals, one forgiven a second) is closed with CLOSE_TOO_MANY.
FRAMES_PER_SECOND = 5.0
FRAME_BURST = 30
REFUSALS_BEFORE_CLOSE = 60


class TokenBucket:
    """`take()` is true while within the rate: `burst` tokens, refilled at `rate` a second."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
