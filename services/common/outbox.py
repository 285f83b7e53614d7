"""The transactional outbox (DESIGN §4).

`add(session, type, data)` inserts an event row in the caller's transaction: it is published only
if that transaction commits. `OutboxRelay` (declare `relay = OutboxRelay()` on the service) runs a
managed green thread that publishes committed rows, in order, to the nameko event exchange
`<service>.events` with publisher confirms, and marks each row published. Rows are claimed with
`FOR UPDATE SKIP LOCKED`, so any number of replicas can relay the same table. While the broker is
down the rows wait; the relay retries with backoff and loses nothing. A crash between a confirm
and the commit of `published_at` publishes that row again: consumers deduplicate by `event_id`
(the inbox), which is what at-least-once means.
"""
import logging
import threading
import time

import eventlet
from kombu import Connection, Exchange
from nameko.extensions import DependencyProvider
from sqlalchemy import (BigInteger, Column, DateTime, Index, MetaData, Table, Text, func, select,
                        text, update)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.common import envelope, logs, metrics

log = logging.getLogger(__name__)

BATCH = 200
REPORT_EVERY_S = 1.0      # the pending/lag gauges: not worth a query per pass
BACKOFF_MAX_S = 5.0


def table(metadata: MetaData):
    return Table(
        "outbox", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
        Column("type", Text, nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index(None, "id", postgresql_where=text("published_at IS NULL")),
    )


def add(session, type_, data):
    """Write an event in the caller's transaction (the session must come from `Database`)."""
    outbox = session.info["outbox"]
    env = envelope.make(type_, data, session.info.get("correlation_id") or logs.correlation_id())
    session.execute(outbox.insert().values(event_id=env["event_id"], type=type_, envelope=env))
    session.info["outbox_written"] = True
    return env


def event_exchange(service_name):
    """Same exchange nameko's EventDispatcher and event handlers declare."""
    return Exchange(f"{service_name}.events", type="topic", durable=True, auto_delete=False)


class Relay:
    """The relay loop for one service's outbox table; plain object, driven by `OutboxRelay`."""

    def __init__(self, service_name, engine, outbox, amqp_uri, poll_s):
        self.service_name, self.engine, self.outbox = service_name, engine, outbox
        self.amqp_uri, self.poll_s = amqp_uri, poll_s
        self.exchange = event_exchange(service_name)
        self.wakeup = threading.Event()
        self.running = True
        self.connection = None
        self.next_report = 0.0

    def run(self):
        backoff = 0.1
        while self.running:
            self.wakeup.clear()      # before reading: a commit from now on wakes the next wait
            try:
                published = self.publish_batch()
                backoff = 0.1
            except Exception:  # noqa: BLE001 -- broker or database away: keep rows, back off
                metrics.RELAY_ERRORS.labels(self.service_name).inc()
                log.warning("outbox relay pass failed; retrying in %.1fs", backoff, exc_info=True)
                self.close()
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            if published < BATCH:
                self.wakeup.wait(self.poll_s)

    def publish_batch(self):
        o = self.outbox
        failure = None
        with self.engine.connect() as conn:
            with conn.begin():
                rows = conn.execute(
                    select(o.c.id, o.c.type, o.c.envelope).where(o.c.published_at.is_(None))
                    .order_by(o.c.id).limit(BATCH).with_for_update(skip_locked=True)).all()
                if time.monotonic() >= self.next_report:
                    self.next_report = time.monotonic() + REPORT_EVERY_S
                    self.report_pending(conn)
                sent = []
                try:
                    for row in rows:
                        self.publish(row.type, row.envelope)
                        sent.append(row.id)
                except Exception as exc:  # noqa: BLE001 -- mark what was confirmed, then fail the pass
                    failure = exc
                if sent:
                    conn.execute(update(o).where(o.c.id.in_(sent)).values(published_at=func.now()))
            if sent:
                metrics.OUTBOX_PUBLISHED.labels(self.service_name).inc(len(sent))
        if failure is not None:
            raise failure
        return len(rows)

    def publish(self, type_, env):
        if self.connection is None:
            self.connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                                         connect_timeout=5)
            self.connection.ensure_connection(max_retries=1)   # fail this pass; run() backs off
            self.producer = self.connection.Producer()
            self.exchange(self.producer.channel).declare()
        headers = {"nameko.correlation_id": env["correlation_id"]} if env.get("correlation_id") else {}
        self.producer.publish(env, exchange=self.exchange, routing_key=type_, serializer="json",
                              delivery_mode=2, headers=headers, retry=False)

    def report_pending(self, conn):
        o = self.outbox
        count, oldest = conn.execute(
            select(func.count(), func.extract("epoch", func.now() - func.min(o.c.created_at)))
            .where(o.c.published_at.is_(None))).one()
        metrics.OUTBOX_PENDING.labels(self.service_name).set(count)
        metrics.OUTBOX_LAG.labels(self.service_name).set(float(oldest or 0))

    def close(self):
        if self.connection is not None:
            try:
                self.connection.release()
            except Exception:  # noqa: BLE001 -- already broken
                pass
            self.connection = None

    def stop(self):
        self.running = False
        self.wakeup.set()


class OutboxRelay(DependencyProvider):
    """Needs the service's `Database` provider; starts relaying when the container starts."""

    def setup(self):
        from services.common.db import Database  # the Database provider owns engine and tables
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.database = database
        self.relay = None

    def start(self):
        config = self.container.config
        self.relay = Relay(self.container.service_name, self.database.engine, self.database.outbox,
                           config["AMQP_URI"], float(config.get("OUTBOX_POLL_S", 0.5)))
        self.database.on_outbox_commit = self.relay.wakeup.set
        self.thread = self.container.spawn_managed_thread(self.relay.run)

    def stop(self):
        if self.relay:
            self.relay.stop()
            self.thread.wait()
            self.relay.close()

    def kill(self):
        if self.relay:
            self.relay.stop()
            self.relay.close()
