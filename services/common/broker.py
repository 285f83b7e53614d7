"""Surviving a lost broker connection. nameko kills the whole service container when a managed
thread raises, and acking a message or sending an RPC reply raises exactly when the broker goes
away mid-work (DESIGN §4: messages must survive broker outages, services too). Here:

- `QueueConsumer`, the one consumer connection every house entrypoint (RPC, RPC replies, events)
  shares: an ack or requeue on a connection that is gone is logged, not raised. The broker has
  already taken the message back and redelivers it once the connection is back; handlers are
  idempotent through the inbox.
- a reply that cannot be published is logged by the house RPC consumer (`rpc.RpcConsumer`); the
  caller's deadline turns it into `Unavailable`."""

import logging
from collections.abc import Callable, Mapping
from typing import Any

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko import messaging

log = logging.getLogger(__name__)

# what a publish, ack or reply raises when the broker connection is gone
BROKER_ERRORS = (OSError, AMQPConnectionError, KombuOperationalError)


def predeclared(queue: Any, config: Mapping[str, Any]) -> None:
    """Production (AMQP_PREDECLARED): the shared exchange `queue` binds to (`nameko-rpc`, or
    another service's `<service>.events`) is the broker's to make (rabbitmq-users.yaml); the
    service only checks it exists. A passive declaration needs no configure permission, which
    would also let the service delete the exchange (docs/security.md)."""
    queue.exchange.passive = bool(config.get("AMQP_PREDECLARED"))


class QueueConsumer(messaging.QueueConsumer):
    def ack_message(self, message: Any) -> None:
        self.tolerant(super().ack_message, message)

    def requeue_message(self, message: Any) -> None:
        self.tolerant(super().requeue_message, message)

    @staticmethod
    def tolerant(settle: Callable[[Any], None], message: Any) -> None:
        try:
            settle(message)
        except BROKER_ERRORS as exc:
            log.warning(
                "broker connection lost before %s (%s); the broker redelivers the message",
                settle.__name__,
                type(exc).__name__,
            )
