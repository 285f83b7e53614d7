"""Hints: best-effort news sent after a commit, for whoever is waiting on a change right now
(the gateway's bounded waits for an order to move). Not events in DESIGN §4's sense: no outbox,
no confirms, not persistent. A lost hint costs a waiter its deadline, after which it reads the
state from its owner; nothing ever depends on a hint for correctness.

    hints.add(session, "order_changed", view)   # in a transaction of a service with `hints = Hints()`

The hint goes out, in the envelope, on `<service>.events` with the type as routing key, once the
transaction has committed (a rolled-back change sends nothing)."""

import logging
from typing import Any

from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from services.common import envelope, logs
from services.common.outbox import event_exchange

log = logging.getLogger(__name__)


def add(session: Session, type_: str, data: dict[str, Any]) -> None:
    """Keep the hint with the correlation id of now: in a batch (`db.each`) it is the envelope's
    that caused it, not the last one's."""
    session.info.setdefault("hints", []).append((type_, data, session.info.get("correlation_id")))


class Hints(DependencyProvider):
    """Declare on a service beside its `Database`: sends the hints of each committed transaction."""

    def setup(self) -> None:
        from services.common.db import Database  # the Database provider runs the commit hooks

        self.database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.exchange = event_exchange(self.container.service_name)
        self.publisher = Publisher(
            self.container.config["AMQP_URI"],
            use_confirms=False,
            delivery_mode=NON_PERSISTENT,
            exchange=self.exchange,
            declare=[self.exchange],
            retry=False,
            ssl=self.container.config.get("AMQP_SSL"),
        )

    def start(self) -> None:
        self.database.commit_hooks.append(self.send)

    def send(self, session: Session) -> None:
        for type_, data, correlation_id in session.info.pop("hints", ()):
            try:
                self.publisher.publish(
                    envelope.make(type_, data, correlation_id or logs.correlation_id()), routing_key=type_
                )
            except Exception:
                log.warning("hint %s not sent", type_, exc_info=True)
