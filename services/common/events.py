"""`event_handler`: nameko's, plus bounded retries and a dead-letter queue (DESIGN §4).

nameko acks a message whose handler raised. Here a failure is instead republished to
`<queue>.retry` (per-message TTL, doubling from EVENT_RETRY_DELAY_MS; the broker dead-letters it
back into `<queue>` when the TTL runs out) until EVENT_MAX_ATTEMPTS tries, then to `<queue>.dlq`
with the error, counted in `kameng_events_dead_lettered_total`. The original is acked only after
the republish is confirmed; if the republish fails the original is requeued, so nothing is lost.
A message that is not a valid envelope is dead-lettered at once: retrying cannot mend it.
"""
import logging

from kombu import Queue
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler

from services.common import metrics
from services.common.broker import BrokerLossTolerant

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-kameng-attempt"
MAX_DELAY_MS = 60_000


def retry_queue(queue_name):
    return Queue(f"{queue_name}.retry", durable=True, queue_arguments={
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name})


def dead_letter_queue(queue_name):
    return Queue(f"{queue_name}.dlq", durable=True)


class Retrying(EventHandler):
    def setup(self):
        super().setup()
        config = self.container.config
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS", 5))
        self.first_delay_ms = int(config.get("EVENT_RETRY_DELAY_MS", 500))
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, exchange="",
                                   retry=True, retry_policy={"max_retries": 3})

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        try:
            self.reroute(message, exc_info[1])
        except Exception:  # noqa: BLE001 -- broker trouble: hand it back rather than lose it
            log.exception("could not reroute a failed event; requeued")
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)
        return result, exc_info

    def reroute(self, message, exc):
        name = self.queue.name
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        headers = {k: v for k, v in (message.headers or {}).items() if k != "x-death"}
        poison = isinstance(exc, ValidationError)
        extra = {"queue": name, "attempt": attempt}
        if attempt < self.max_attempts and not poison:
            delay = min(self.first_delay_ms * 2 ** (attempt - 1), MAX_DELAY_MS)
            target = retry_queue(name)
            self.republish(message, target, {**headers, ATTEMPT_HEADER: attempt + 1}, delay / 1000)
            metrics.EVENTS_RETRIED.labels(name).inc()
            log.warning("event handler failed (%s); retry in %d ms", type(exc).__name__, delay,
                        extra=extra)
            return
        target = dead_letter_queue(name)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        self.republish(message, target, {**headers, "x-kameng-error": error}, None)
        metrics.EVENTS_DEAD_LETTERED.labels(name).inc()
        log.error("event dead-lettered after %d tries: %s", attempt, error, extra=extra)

    def republish(self, message, queue, headers, expiration_s):
        self.publisher.publish(
            message.body, routing_key=queue.name, declare=[queue], headers=headers,
            content_type=message.content_type, content_encoding=message.content_encoding,
            expiration=expiration_s, delivery_mode=2)


class RetryingEventHandler(BrokerLossTolerant, Retrying):
    """The retrying handler; an ack lost with the broker connection does not kill the service."""


event_handler = RetryingEventHandler.decorator
