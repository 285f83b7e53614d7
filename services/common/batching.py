"""Calls coalesced into one RPC (DESIGN §3: speed comes from fewer messages per order). The
workers of one process that call the same short command at once (orders being created) share a
round trip: while one call is in flight, the calls that arrive wait, and go together in the next
one. A lone call goes at once: no delay is added to wait for company.

Caller side, a service declares the batcher beside its proxy:

    reserve_batch = Batched("catalog/reserve_quoted_all")
    ...
    self.reserve_batch.call(self.catalog_rpc.reserve_quoted_all, {"order_no": ..., ...})

The callee answers a list of calls with a list of outcomes, one per call, in order, each call
handled alone (its own transaction) so that one refused call refuses nobody else:

    @rpc
    def reserve_quoted_all(self, calls):
        return answer_each(calls, lambda kwargs: self.reserve_quoted(**kwargs))

Each caller gets its own answer, or its own exception raised again (a `DomainError` as itself:
nameko's exception registry, as for any RPC). A caller may give a `screen`, asked again when its
call is about to go after waiting in line: if it raises, the call is answered with that exception
and not sent (a flash sale's buyers queued behind a SKU that has sold out meanwhile). A call of
the batch that fails as a whole (no answer in time, the broker down) fails every call in it the
same way. Each call carries its
worker's correlation id, bound to the callee's log lines for that call."""

import logging
from collections.abc import Callable
from typing import Any

from eventlet import GreenPool
from eventlet.event import Event
from nameko.exceptions import deserialize, serialize
from nameko.extensions import DependencyProvider

from services.common import logs, metrics
from services.common.errors import DomainError

log = logging.getLogger(__name__)

CORRELATION = "_correlation_id"  # the key an item carries its caller's correlation id under
LIMIT = 64  # calls per round trip at most


class _Lead:
    """Sent to the first waiting caller when the round trip before it is done: it sends next."""


LEAD = _Lead()


class Failed:
    """An exception as an outcome (for the callers of a batch that failed as a whole)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Batcher:
    """The calls of one process to one command, in flight or waiting (one per `Batched`): at most
    `lanes` round trips in flight at once, each of at most `limit` calls."""

    Entry = tuple[dict[str, Any], Event, Callable[[], Any] | None]

    def __init__(self, name: str = "", limit: int = LIMIT, lanes: int = 1) -> None:
        self.name, self.limit, self.lanes = name, limit, lanes
        self.waiting: list[Batcher.Entry] = []
        self.in_flight = 0  # round trips being sent, or about to be by a caller handed the lead
        self.sent = 0  # round trips made (tests read it)

    def call(
        self,
        send: Callable[[list[dict[str, Any]]], list[Any]],
        item: dict[str, Any],
        screen: Callable[[], Any] | None = None,
    ) -> Any:
        """`send(items)`: the `*_all` RPC, answering one outcome per item (`answer_each`). Answers
        this item's result or raises its exception. `screen()`: asked when the item, having
        waited, is about to be sent; an exception it raises is this call's answer."""
        mine: Batcher.Entry = ({**item, CORRELATION: logs.correlation_id()}, Event(), screen)
        if self.in_flight < self.lanes:
            self.in_flight += 1
            return self._lead(send, mine)
        self.waiting.append(mine)
        try:
            outcome = mine[1].wait()
        except BaseException:  # this worker is killed while it waits: nobody may wait on it
            self._abandon(mine)
            raise
        if outcome is LEAD:
            try:
                _screened(mine)
            except Exception:
                self._pass_lead()
                raise
            return self._lead(send, mine)
        return _unwrap(outcome)

    def _abandon(self, mine: "Batcher.Entry") -> None:
        if mine in self.waiting:
            self.waiting.remove(mine)
        elif mine[1].ready() and mine[1].wait() is LEAD:  # it was to send a round trip: the next in line does
            self._pass_lead()

    def _pass_lead(self) -> None:
        """A round trip is done: the first caller in line (taken out of it, so that no other lane
        hands it the lead too) sends the next one, or the lane is free."""
        if self.waiting:
            self.waiting.pop(0)[1].send(LEAD)
        else:
            self.in_flight -= 1

    def _lead(self, send: Callable[[list[dict[str, Any]]], list[Any]], mine: "Batcher.Entry") -> Any:
        batch = [mine]
        while self.waiting and len(batch) < self.limit:
            entry = self.waiting.pop(0)
            try:
                _screened(entry)
            except Exception as exc:
                entry[1].send(Failed(exc))
                continue
            batch.append(entry)
        outcomes: list[Any] = []
        try:
            self.sent += 1
            metrics.RPC_BATCH_SIZE.labels(self.name).observe(len(batch))
            outcomes = list(send([item for item, _, _ in batch]))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} answers to {len(batch)} calls")
        except Exception as exc:
            outcomes = [Failed(exc)] * len(batch)
        finally:
            if not outcomes:  # killed while sending (eventlet.Timeout, GreenletExit): nobody answered
                outcomes = [Failed(RuntimeError("the batched call was interrupted"))] * len(batch)
            self._pass_lead()
            for (_, event, _), outcome in zip(batch[1:], outcomes[1:], strict=True):
                event.send(outcome)
        return _unwrap(outcomes[0])


def _screened(entry: "Batcher.Entry") -> None:
    if entry[2] is not None:
        entry[2]()


def _unwrap(outcome: Any) -> Any:
    if isinstance(outcome, Failed):
        raise outcome.exc
    if "error" in outcome:
        raise deserialize(outcome["error"])
    return outcome["ok"]


class Batched(DependencyProvider):
    """`reserve_batch = Batched("catalog/reserve_quoted_all")`: one `Batcher` per service
    process, shared by its workers; the name labels its `kameng_rpc_batch_size`. `lanes`: round
    trips in flight at once (so that one slow batch does not hold every caller), `limit`: calls
    in one."""

    def __init__(self, name: str, lanes: int = 2, limit: int = LIMIT) -> None:
        self.name, self.lanes, self.limit = name, lanes, limit

    def setup(self) -> None:
        self.batcher = Batcher(self.name, limit=self.limit, lanes=self.lanes)

    def get_dependency(self, worker_ctx: Any) -> Batcher:
        return self.batcher


def answer_each(
    calls: list[dict[str, Any]], handle: Callable[[dict[str, Any]], Any], at_once: int = 1
) -> list[dict[str, Any]]:
    """The callee's side: `handle(kwargs)` for each call alone, its caller's correlation id bound
    meanwhile (log lines, and the rows `self.db` writes: services/common/db.py reads it);
    [{"ok": result} or {"error": the exception, serialized}], in the calls' order. `at_once`:
    how many calls run at the same time (green threads of this worker), for calls that mostly
    wait (an order's creation waits for the catalog and risk: its waits then share their round
    trips too). An exception that is not a domain error is logged here, as nameko logs a failed
    entrypoint."""
    outer, service = logs.correlation_id(), logs.service()

    def one(call: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(call)
        logs.bind(service, kwargs.pop(CORRELATION, None) or outer)  # a green thread of its own: bound anew
        try:
            return {"ok": handle(kwargs)}
        except DomainError as exc:
            return {"error": serialize(exc)}
        except Exception as exc:
            log.exception("a call of a batch failed")
            return {"error": serialize(exc)}

    try:
        if at_once <= 1 or len(calls) <= 1:
            return [one(call) for call in calls]
        return list(GreenPool(at_once).imap(one, calls))
    finally:
        logs.rebind(outer)
