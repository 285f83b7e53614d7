"""The relay's bookkeeping of publisher confirms (one wait per batch, DESIGN §4)."""

from services.common.outbox import Confirms


def test_single_acks_settle_their_own_tags_only():
    c = Confirms()
    c.ack(2, False)
    assert not c.settled({1: "a", 2: "b"})
    c.ack(1, False)
    assert c.settled({1: "a", 2: "b"})
    assert c.take({1: "a", 2: "b"}) == ["a", "b"]


def test_a_multiple_ack_settles_everything_up_to_its_tag_that_is_not_settled_yet():
    c = Confirms()
    c.nack(2, False)
    c.ack(4, True)
    batch = {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
    assert not c.settled(batch)
    assert c.take({1: "a", 2: "b", 3: "c", 4: "d"}) == ["a", "c", "d"]  # the nacked one goes again


def test_a_multiple_ack_after_later_single_acks_still_covers_the_gap():
    c = Confirms()
    c.ack(3, False)  # out of order: 1 and 2 still open
    c.ack(2, True)
    assert c.settled({1: "a", 2: "b", 3: "c"})
    c.nack(5, True)  # 4 and 5 refused together
    assert c.take({1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}) == ["a", "b", "c"]
