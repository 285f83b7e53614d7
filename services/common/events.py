"""`event_handler`: nameko's, plus bounded retries and a dead-letter queue (DESIGN §4).

nameko acks a message whose handler raised. Here a failure is instead republished to
`<queue>.delay` (per-message TTL, doubling from EVENT_RETRY_DELAY_MS; the broker dead-letters it
back into `<queue>` when the TTL runs out) until EVENT_MAX_ATTEMPTS tries, then to `<queue>.dlq`
with the error, counted in `kameng_events_dead_lettered_total`. The original is acked only after
the republish is confirmed; if the republish fails the original is requeued, so nothing is lost.
A message that is not a valid envelope is dead-lettered at once: retrying cannot mend it.

Every republish and dead-lettering goes through `<service>.retry`, a direct exchange of the
service's own, never through the default exchange: `<queue>.delay` and `<queue>.dlq` are bound to
it by their names, `<queue>` by its own, and `<queue>.delay` dead-letters into it. A service's
broker user thus needs no write on the default exchange, which would let it post into any queue
(docs/security.md). Older releases used `<queue>.retry`, dead-lettering through the default
exchange; a queue's arguments cannot change in place, so that one is retired instead: at start
each service deletes its handlers' `<queue>.retry` once empty (`LegacyRetryQueues`; its messages
flow back into `<queue>` as their TTLs, at most MAX_DELAY_MS, run out).

`batch_handler`: the same guarantees, for the saga's hot handlers. Messages that arrive while a
batch is being handled wait and go together into the next one; the method gets a list of
envelopes and handles them in one transaction (`Db.once_all`). A batch that fails is split and
each message is tried alone, so one bad message is retried and dead-lettered by itself and never
holds the others back. Under light load a batch is one message: nothing waits for company.
"""

import logging
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import eventlet
import eventlet.event
from amqp.exceptions import AMQPNotImplementedError, NotFound, PreconditionFailed
from kombu import Connection, Exchange, Queue, binding
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import SharedExtension

from services.common import metrics
from services.common.broker import BROKER_ERRORS, QueueConsumer, predeclared

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

ATTEMPT_HEADER = "x-kameng-attempt"
MAX_DELAY_MS = 60_000
LEGACY_RETRY_CHECK_S = 5.0


def retry_exchange(service_name: str) -> Exchange:
    """`<service>.retry`: the service's own exchange for its retries and dead letters."""
    return Exchange(f"{service_name}.retry", type="direct", durable=True)


def retry_queue(service_name: str, queue_name: str) -> Queue:
    """`<queue>.delay`: a failed message waits out its TTL here, then goes back to `<queue>`."""
    exchange = retry_exchange(service_name)
    return Queue(
        f"{queue_name}.delay",
        exchange=exchange,
        routing_key=f"{queue_name}.delay",
        durable=True,
        queue_arguments={"x-dead-letter-exchange": exchange.name, "x-dead-letter-routing-key": queue_name},
    )


def dead_letter_queue(service_name: str, queue_name: str) -> Queue:
    """`<queue>.dlq`: where a message that failed for good waits, with its error, for an operator."""
    return Queue(
        f"{queue_name}.dlq", exchange=retry_exchange(service_name), routing_key=f"{queue_name}.dlq", durable=True
    )


def retire_legacy_retry_queues(
    amqp_uri: str, ssl: Any, queue_names: list[str], every_s: float = LEGACY_RETRY_CHECK_S
) -> None:
    """Delete each `<queue>.retry` (older releases' retry queue, dead-lettering through the default
    exchange) once it is empty; until then, look again every `every_s` seconds. Its messages go
    back into `<queue>` as their TTLs run out, as before. Returns when no such queue is left. One
    connection per look for all of a service's queues (a channel each: a passive declare of a
    queue that is not there closes its channel).

    A classic queue is deleted `if_empty`, which the broker checks itself. A quorum queue cannot be
    (RabbitMQ answers NOT_IMPLEMENTED): it is deleted once seen empty twice, `every_s` apart;
    nothing refills it once no service may write to the default exchange (docs/security.md)."""
    left = dict.fromkeys(queue_names, (False, False))  # queue -> (a quorum queue, seen empty last time)
    while left:
        try:
            with Connection(amqp_uri, ssl=ssl) as conn:
                for name in list(left):
                    seen = _retire(conn, name, *left[name])
                    if seen is None:
                        del left[name]
                    else:
                        left[name] = seen
        except BROKER_ERRORS as exc:  # no broker: look again later
            log.info("old retry queues not looked at (%s)", type(exc).__name__)
        if left:
            eventlet.sleep(every_s)


def _retire(conn: Connection, queue_name: str, quorum: bool, seen_empty: bool) -> tuple[bool, bool] | None:
    """One look at `<queue_name>.retry`: None once it is gone, else (quorum, seen empty) now."""
    name = f"{queue_name}.retry"
    try:
        with conn.channel() as channel:
            try:
                _, waiting, _ = channel.queue_declare(name, passive=True)
            except NotFound:
                return None
            if not waiting and (seen_empty or not quorum):
                channel.queue_delete(name, if_empty=not quorum)
                log.info("retired the old retry queue %s", name, extra={"queue": queue_name})
                return None
            return quorum, not waiting
    except AMQPNotImplementedError:  # a quorum queue, just seen empty
        return True, True
    except PreconditionFailed as exc:  # refilled meanwhile
        log.info("old retry queue %s not retired yet (%s)", name, type(exc).__name__, extra={"queue": queue_name})
        return quorum, False


class LegacyRetryQueues(SharedExtension):
    """The old retry queues of one service's handlers, retired by one green thread (each handler
    registers its queue in `setup`)."""

    def __init__(self) -> None:
        super().__init__()
        self.queue_names: list[str] = []

    def start(self) -> None:
        config = self.container.config
        self.container.spawn_managed_thread(
            partial(retire_legacy_retry_queues, config["AMQP_URI"], config.get("AMQP_SSL"), list(self.queue_names)),
            identifier="retire_legacy_retry_queues",
        )


class Retrying(EventHandler):
    queue_consumer = QueueConsumer()
    legacy_retry_queues = LegacyRetryQueues()
    queue: Queue

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS", 5))
        self.first_delay_ms = int(config.get("EVENT_RETRY_DELAY_MS", 500))
        self.service_name = self.container.service_name
        exchange = retry_exchange(self.service_name)
        predeclared(self.queue, config)
        source, queue = self.queue.exchange, self.queue
        self.queue = Queue(  # nameko's, bound to the source's events and to `<service>.retry` (from `.delay`)
            queue.name,
            bindings=[binding(source, routing_key=queue.routing_key), binding(exchange, routing_key=queue.name)],
            durable=queue.durable,
            auto_delete=queue.auto_delete,
            exclusive=queue.exclusive,
        )
        self.publisher = Publisher(
            config["AMQP_URI"],
            use_confirms=True,
            exchange=exchange,
            retry=True,
            retry_policy={"max_retries": 3},
            ssl=config.get("AMQP_SSL"),
        )
        self.legacy_retry_queues.queue_names.append(self.queue.name)

    def handle_result(self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        self.settle(message, exc_info and exc_info[1])
        return result, exc_info

    def settle(self, message: Any, exc: BaseException | None = None) -> None:
        """Ack a handled message; send a failed one to its retry or dead-letter queue."""
        if exc is None:
            self.queue_consumer.ack_message(message)
            return
        try:
            self.reroute(message, exc)
        except Exception:
            log.exception("could not reroute a failed event; requeued")
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)

    def reroute(self, message: Any, exc: BaseException) -> None:
        name = self.queue.name
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        headers = {k: v for k, v in (message.headers or {}).items() if k != "x-death"}
        poison = isinstance(exc, ValidationError)
        extra = {"queue": name, "attempt": attempt}
        if attempt < self.max_attempts and not poison:
            delay = min(self.first_delay_ms * 2 ** (attempt - 1), MAX_DELAY_MS)
            target = retry_queue(self.service_name, name)
            self.republish(message, target, {**headers, ATTEMPT_HEADER: attempt + 1}, delay / 1000)
            metrics.EVENTS_RETRIED.labels(name).inc()
            log.warning("event handler failed (%s); retry in %d ms", type(exc).__name__, delay, extra=extra)
            return
        target = dead_letter_queue(self.service_name, name)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        self.republish(message, target, {**headers, "x-kameng-error": error}, None)
        metrics.EVENTS_DEAD_LETTERED.labels(name).inc()
        log.error("event dead-lettered after %d tries: %s", attempt, error, extra=extra)

    def republish(self, message: Any, queue: Queue, headers: dict[str, Any], expiration_s: float | None) -> None:
        self.publisher.publish(
            message.body,
            routing_key=queue.name,
            declare=[queue],
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            expiration=expiration_s,
            delivery_mode=2,
        )


def event_handler(source_service: str, event_type: str, **kwargs: Any) -> Callable[[F], F]:
    """`@event_handler("order", "delivery_requested")`: nameko's, with retries and a dead-letter queue."""
    decorate: Callable[[F], F] = Retrying.decorator(source_service, event_type, **kwargs)
    return decorate


class BatchQueueConsumer(QueueConsumer):
    """The batched handlers' own consumer connection: its prefetch (EVENT_BATCH_PREFETCH per
    queue) bounds a batch, where nameko's prefetch is the container's max_workers."""

    @property
    def prefetch_count(self) -> int:
        return int(self.container.config.get("EVENT_BATCH_PREFETCH", 64))


class BatchEventHandler(Retrying):
    """At most EVENT_BATCH_WORKERS batches of one queue run at a time, each of at most
    EVENT_BATCH_MAX messages; the messages that arrive meanwhile make the next batch."""

    queue_consumer = BatchQueueConsumer()

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.batch_max = int(config.get("EVENT_BATCH_MAX", 50))
        self.workers = int(config.get("EVENT_BATCH_WORKERS", 2))
        self.waiting: deque[tuple[Any, Any]] = deque()  # (body, message)
        self.running = 0

    def handle_message(self, body: Any, message: Any) -> None:
        """In the green thread nameko gives each message: queue it, and run batches unless enough
        runners already do (they take this message with the next batch)."""
        self.waiting.append((body, message))
        if self.running >= self.workers:
            return
        self.running += 1
        try:
            while self.waiting:
                batch = [self.waiting.popleft() for _ in range(min(len(self.waiting), self.batch_max))]
                self.run(batch)
        finally:
            self.running -= 1

    def run(self, batch: list[tuple[Any, Any]]) -> None:
        """Handle `batch` in one worker; if it fails, each of its messages alone."""
        done: eventlet.event.Event = eventlet.event.Event()
        try:
            self.container.spawn_worker(
                self,
                ([body for body, _ in batch],),
                {},
                context_data=self.unpack_message_headers(batch[0][1]),
                handle_result=partial(self.finished, done),
            )
        except ContainerBeingKilled:
            for _, message in batch:
                self.queue_consumer.requeue_message(message)
            return
        exc = done.wait()
        if exc is not None and len(batch) > 1:
            metrics.EVENT_BATCHES_SPLIT.labels(self.queue.name).inc()
            log.warning(
                "a batch of %d events failed (%s); each is tried alone",
                len(batch),
                type(exc).__name__,
                extra={"queue": self.queue.name},
            )
            for item in batch:
                self.run([item])
            return
        metrics.EVENT_BATCH_SIZE.labels(self.queue.name).observe(len(batch))
        for _, message in batch:
            self.settle(message, exc)

    @staticmethod
    def finished(done: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        done.send(exc_info and exc_info[1])
        return result, exc_info


def batch_handler(source_service: str, event_type: str, **kwargs: Any) -> Callable[[F], F]:
    """`@batch_handler("order", "stock_reservation_requested")`: the handler gets a list of envelopes."""
    decorate: Callable[[F], F] = BatchEventHandler.decorator(source_service, event_type, **kwargs)
    return decorate
