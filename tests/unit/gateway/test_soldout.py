"""The gateway's sold-out shelf: hints and the list read every second, in either order."""

import time

from gateway.soldout import Shelf


def test_a_list_replaces_what_was_heard_before_it_was_asked_for():
    shelf = Shelf()
    shelf.mark("A", True)
    shelf.replace([], time.monotonic())  # asked after the hint: the list knows better
    assert not shelf.sold_out("A")


def test_a_hint_heard_while_the_list_was_being_read_wins_over_it():
    shelf = Shelf()
    asked_at = time.monotonic()
    shelf.replace(["A"], asked_at)
    asked_at = time.monotonic()
    shelf.mark("A", False)  # stock came back while the next read was under way
    shelf.mark("B", True)
    shelf.replace(["A"], asked_at)  # that read answered from before the import
    assert not shelf.sold_out("A")
    assert shelf.sold_out("B")
    shelf.replace(["A"], time.monotonic())  # a later read that still says so is believed
    assert shelf.sold_out("A")
    assert not shelf.sold_out("B")


def test_a_list_not_read_for_a_while_is_not_trusted():
    shelf = Shelf()
    shelf.replace(["A"], time.monotonic())
    assert shelf.sold_out("A")
    shelf.read_at -= 10
    assert not shelf.sold_out("A")
