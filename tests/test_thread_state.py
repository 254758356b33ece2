"""Who is to answer in a conversation between the gemeente and a kern: one rule, both sides."""

from node.web.thread_state import (
    CLOSED,
    WAITS_FOR_GEMEENTE,
    WAITS_FOR_KERN,
    Said,
    state,
    waiting_since,
)

GEMEENTE_ASKS = Said("2026-12-01T10:00:00", by_kern=False)
KERN_ANSWERS = Said("2026-12-02T10:00:00", by_kern=True)
KERN_ADDS = Said("2026-12-03T10:00:00", by_kern=True)
GEMEENTE_CLOSES = Said("2026-12-04T10:00:00", by_kern=False, closes=True)
KERN_REOPENS = Said("2026-12-05T10:00:00", by_kern=True)


def test_the_last_message_decides_whatever_order_they_come_in():
    assert state([]) is None
    assert state([GEMEENTE_ASKS]) == WAITS_FOR_KERN
    assert state([KERN_ANSWERS, GEMEENTE_ASKS]) == WAITS_FOR_GEMEENTE
    assert state([GEMEENTE_CLOSES, GEMEENTE_ASKS, KERN_ANSWERS]) == CLOSED
    assert state([GEMEENTE_ASKS, GEMEENTE_CLOSES, KERN_REOPENS]) == WAITS_FOR_GEMEENTE


def test_the_gemeente_waits_since_the_first_kern_message_after_its_own_last_one():
    assert waiting_since([GEMEENTE_ASKS]) is None
    assert waiting_since([KERN_ADDS, GEMEENTE_ASKS, KERN_ANSWERS]) == KERN_ANSWERS.at
    assert waiting_since([GEMEENTE_ASKS, KERN_ANSWERS, GEMEENTE_CLOSES]) is None
    reopened = [GEMEENTE_ASKS, KERN_ANSWERS, GEMEENTE_CLOSES, KERN_REOPENS]
    assert waiting_since(reopened) == KERN_REOPENS.at
