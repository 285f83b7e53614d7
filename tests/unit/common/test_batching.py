"""Calls coalesced into one round trip (services/common/batching.py): callers at once share one,
a lone caller is not held back, each gets its own answer or its own exception."""

import eventlet
import pytest

from services.common import logs
from services.common.batching import CORRELATION, Batcher, answer_each
from services.common.errors import NotFound, OutOfStock, Unavailable


class Callee:
    """A `*_all` RPC: answers each call with `answer_each`, taking `seconds` per round trip."""

    def __init__(self, handle, seconds=0.05):
        self.handle, self.seconds, self.batches = handle, seconds, []

    def __call__(self, items):
        self.batches.append([dict(item) for item in items])
        eventlet.sleep(self.seconds)
        return answer_each(items, self.handle)


def double(kwargs):
    if kwargs["n"] < 0:
        raise OutOfStock("not enough", {"n": kwargs["n"]})
    return kwargs["n"] * 2


def test_a_lone_call_goes_at_once_and_callers_meanwhile_share_the_next_round_trip():
    batcher, callee = Batcher(), Callee(double)
    pool = eventlet.GreenPool()
    first = pool.spawn(batcher.call, callee, {"n": 1})
    eventlet.sleep(0.01)  # the first is in flight: these wait for it, then go together
    rest = [pool.spawn(batcher.call, callee, {"n": n}) for n in range(2, 12)]
    assert first.wait() == 2 and [g.wait() for g in rest] == [n * 2 for n in range(2, 12)]
    assert [len(b) for b in callee.batches] == [1, 10] and batcher.sent == 2
    assert batcher.in_flight == 0 and batcher.waiting == []


def test_each_caller_gets_its_own_exception_as_itself():
    batcher, callee = Batcher(), Callee(double)
    pool = eventlet.GreenPool()
    blocker = pool.spawn(batcher.call, callee, {"n": 0})
    eventlet.sleep(0.01)
    good, bad = pool.spawn(batcher.call, callee, {"n": 3}), pool.spawn(batcher.call, callee, {"n": -1})
    assert blocker.wait() == 0 and good.wait() == 6
    with pytest.raises(OutOfStock) as refused:
        bad.wait()
    assert refused.value.details == {"n": -1}
    assert len(callee.batches[1]) == 2  # refused alone, in the same round trip


def test_a_round_trip_that_fails_fails_each_of_its_calls_and_the_next_goes_on():
    calls = []

    def send(items):
        calls.append(len(items))
        eventlet.sleep(0.03)
        if len(calls) == 1:
            raise Unavailable("a service did not answer in time", {"timeout_s": 1})
        return [{"ok": "fine"} for _ in items]

    batcher, pool = Batcher(limit=3), eventlet.GreenPool()
    greens = [pool.spawn(batcher.call, send, {"n": n}) for n in range(7)]
    outcomes = []
    for green in greens:
        try:
            outcomes.append(green.wait())
        except Unavailable:
            outcomes.append("unavailable")
    # the first leaves alone at once; the six queued meanwhile go three by three
    assert calls == [1, 3, 3]
    assert outcomes == ["unavailable"] + ["fine"] * 6
    assert batcher.in_flight == 0


def test_a_wrong_number_of_answers_is_an_error_for_every_caller():
    batcher = Batcher()
    with pytest.raises(RuntimeError):
        batcher.call(lambda items: [], {"n": 1})
    assert batcher.in_flight == 0  # the next call is not stuck behind it
    assert batcher.call(lambda items: [{"ok": 5}], {"n": 1}) == 5


def test_the_callee_handles_each_call_with_its_callers_correlation_id_and_an_unexpected_error_alone():
    seen = []

    def handle(kwargs):
        seen.append((kwargs, logs.correlation_id()))
        if kwargs.get("boom"):
            raise KeyError("boom")
        if kwargs.get("missing"):
            raise NotFound("no such thing", {"id": 7})
        return "done"

    logs.rebind("outer")
    answers = answer_each(
        [{"a": 1, CORRELATION: "c1"}, {"boom": True, CORRELATION: "c2"}, {"missing": True}, {"a": 2}], handle
    )
    assert logs.correlation_id() == "outer"
    assert [("ok" in a, "error" in a) for a in answers] == [(True, False), (False, True), (False, True), (True, False)]
    assert [cid for _, cid in seen] == ["c1", "c2", "outer", "outer"]
    assert seen[0][0] == {"a": 1}  # the correlation id is not an argument
    batcher = Batcher()
    with pytest.raises(NotFound) as missing:
        batcher.call(lambda items: [answers[2]], {})
    assert missing.value.details == {"id": 7}


def test_a_caller_killed_while_it_waits_holds_nobody_up():
    batcher, callee = Batcher(), Callee(double, seconds=0.05)
    pool = eventlet.GreenPool()
    first = pool.spawn(batcher.call, callee, {"n": 1})
    eventlet.sleep(0.01)
    doomed = pool.spawn(batcher.call, callee, {"n": 2})  # next in line: it would send the next round trip
    others = [pool.spawn(batcher.call, callee, {"n": n}) for n in (3, 4)]
    eventlet.sleep(0.01)
    doomed.kill()
    assert first.wait() == 2 and [g.wait() for g in others] == [6, 8]
    assert [[item["n"] for item in batch] for batch in callee.batches] == [[1], [3, 4]]
    assert batcher.in_flight == 0 and batcher.waiting == []


def test_with_two_lanes_two_round_trips_fly_at_once_and_the_rest_share_the_next():
    batcher, callee = Batcher(lanes=2, limit=4), Callee(double, seconds=0.05)
    pool = eventlet.GreenPool()
    first, second = pool.spawn(batcher.call, callee, {"n": 1}), pool.spawn(batcher.call, callee, {"n": 2})
    eventlet.sleep(0.01)
    assert batcher.in_flight == 2 and len(callee.batches) == 2  # neither waited for the other
    rest = [pool.spawn(batcher.call, callee, {"n": n}) for n in range(3, 9)]
    assert [g.wait() for g in (first, second, *rest)] == [n * 2 for n in range(1, 9)]
    assert sorted(len(b) for b in callee.batches) == [1, 1, 2, 4]  # each freed lane takes who waits
    assert batcher.in_flight == 0 and batcher.waiting == []


def test_a_call_screened_out_while_it_waited_is_answered_with_its_exception_and_not_sent():
    batcher, callee, sold_out = Batcher(limit=3), Callee(double, seconds=0.05), set()

    def screen(sku):
        def check():
            if sku in sold_out:
                raise OutOfStock("sold out", {"sku": sku})

        return check

    pool = eventlet.GreenPool()
    first = pool.spawn(batcher.call, callee, {"n": 1}, screen("A"))
    eventlet.sleep(0.01)  # in flight; the rest wait, the next leader (n=2) among the screened out
    waiting = [pool.spawn(batcher.call, callee, {"n": n}, screen(sku)) for n, sku in [(2, "A"), (3, "B"), (4, "A")]]
    waiting += [pool.spawn(batcher.call, callee, {"n": n}, screen("B")) for n in (5, 6, 7)]
    eventlet.sleep(0.01)
    sold_out.add("A")  # heard while they waited
    assert first.wait() == 2
    outcomes = []
    for green in waiting:
        try:
            outcomes.append(green.wait())
        except OutOfStock as exc:
            outcomes.append(exc.details["sku"])
    assert outcomes == ["A", 6, "A", 10, 12, 14]
    assert [[item["n"] for item in batch] for batch in callee.batches] == [[1], [3, 5, 6], [7]]
    assert batcher.in_flight == 0 and batcher.waiting == []
