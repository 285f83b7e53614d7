"""Surviving a lost broker connection. nameko kills the whole service container when a worker
raises while acking a message or sending an RPC reply, which is exactly what happens when the
broker goes away mid-work (DESIGN §4: messages must survive broker outages, services too).
Entrypoints here log such failures instead: a message that was not acked is redelivered by the
broker once the connection is back (handlers are idempotent through the inbox), and an RPC
caller whose reply was lost gets its deadline's `Unavailable`."""
import logging

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError

log = logging.getLogger(__name__)

# what a publish, ack or reply raises when the broker connection is gone
BROKER_ERRORS = (OSError, AMQPConnectionError, KombuOperationalError)


class BrokerLossTolerant:
    """Mixed into a nameko entrypoint class, before it."""

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_ERRORS as exc:
            log.warning("broker connection lost while finishing %s (%s: %s); the broker redelivers it",
                        worker_ctx.entrypoint.method_name, type(exc).__name__, exc)
            return result, exc_info
