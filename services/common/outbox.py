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

import contextlib
import json
import logging
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import eventlet
from kombu import Connection, Exchange
from nameko.extensions import DependencyProvider
from sqlalchemy import (
    BigInteger,
    Column,
    Connection as DbConnection,
    DateTime,
    Engine,
    Index,
    MetaData,
    Row,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Session

from services.common import envelope, logs, metrics, sql

log = logging.getLogger(__name__)

BATCH = 200
REPORT_EVERY_S = 1.0  # the pending/lag gauges: not worth a query per pass
BACKOFF_MAX_S = 5.0
CONFIRM_TIMEOUT_S = 10.0


class Confirms:
    """Publisher confirms of one channel by delivery tag. A confirm with `multiple` settles every
    tag up to it not settled yet; `floor` is the highest tag below which all are settled."""

    def __init__(self) -> None:
        self.acked: set[int] = set()
        self.nacked: set[int] = set()
        self.floor = 0

    def ack(self, tag: int, multiple: bool) -> None:
        self._mark(self.acked, tag, multiple)

    def nack(self, tag: int, multiple: bool) -> None:
        self._mark(self.nacked, tag, multiple)

    def _mark(self, into: set[int], tag: int, multiple: bool) -> None:
        for t in range(self.floor + 1 if multiple else tag, tag + 1):
            if t not in self.acked and t not in self.nacked:
                into.add(t)
        if multiple:
            self.floor = max(self.floor, tag)
        while self.floor + 1 in self.acked or self.floor + 1 in self.nacked:
            self.floor += 1

    def settled(self, by_tag: Collection[int]) -> bool:
        return all(t in self.acked or t in self.nacked for t in by_tag)

    def take(self, by_tag: Mapping[int, int]) -> list[int]:
        """The row ids whose messages were acked; forgets these tags."""
        sent = [row_id for tag, row_id in by_tag.items() if tag in self.acked]
        self.acked.difference_update(by_tag)
        self.nacked.difference_update(by_tag)
        return sent


def table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
        Column("type", Text, nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index(None, "id", postgresql_where=text("published_at IS NULL")),
    )


ADD = "INSERT INTO {table} (event_id, type, envelope) VALUES (%(event_id)s, %(type)s, %(envelope)s::jsonb)"
CLAIM = """SELECT id, type, envelope FROM {table} WHERE published_at IS NULL
ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED"""
MARK = "UPDATE {table} SET published_at = now() WHERE id = ANY(%(ids)s)"


def add(session: Session, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """Write an event in the caller's transaction (the session must come from `Database`)."""
    outbox = session.info["outbox"]
    env = envelope.make(type_, data, session.info.get("correlation_id") or logs.correlation_id())
    sql.run(
        session,
        ADD.format(table=sql.qualified(outbox)),
        {"event_id": env["event_id"], "type": type_, "envelope": json.dumps(env)},
    )
    session.info["outbox_written"] = True
    return env


def event_exchange(service_name: str) -> Exchange:
    """Same exchange nameko's EventDispatcher and event handlers declare."""
    return Exchange(f"{service_name}.events", type="topic", durable=True, auto_delete=False)


class Relay:
    """The relay loop for one service's outbox table; plain object, driven by `OutboxRelay`."""

    connection: Connection | None
    confirms: Confirms
    last_tag: int
    producer: Any

    def __init__(
        self,
        service_name: str,
        engine: Engine,
        outbox: Table,
        amqp_uri: str,
        poll_s: float,
        ssl: dict[str, Any] | None = None,
    ) -> None:
        self.service_name, self.engine, self.outbox = service_name, engine, outbox
        self.amqp_uri, self.poll_s, self.ssl = amqp_uri, poll_s, ssl
        self.exchange = event_exchange(service_name)
        self.table = sql.qualified(outbox)
        self.wakeup = threading.Event()
        self.running = True
        self.connection = None
        self.next_report = 0.0

    def run(self) -> None:
        backoff = 0.1
        while self.running:
            self.wakeup.clear()  # before reading: a commit from now on wakes the next wait
            try:
                published = self.publish_batch()
                backoff = 0.1
            except Exception:
                metrics.RELAY_ERRORS.labels(self.service_name).inc()
                log.warning("outbox relay pass failed; retrying in %.1fs", backoff, exc_info=True)
                self.close()
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            if published < BATCH:
                self.wakeup.wait(self.poll_s)

    def publish_batch(self) -> int:
        with self.engine.connect() as conn:
            with conn.begin():
                rows = conn.exec_driver_sql(CLAIM.format(table=self.table), {"limit": BATCH}).all()
                if time.monotonic() >= self.next_report:
                    self.next_report = time.monotonic() + REPORT_EVERY_S
                    self.report_pending(conn)
                sent, failure = self.publish_all(rows)
                if sent:
                    conn.exec_driver_sql(MARK.format(table=self.table), {"ids": sent})
            if sent:
                metrics.OUTBOX_PUBLISHED.labels(self.service_name).inc(len(sent))
        if failure is not None:
            raise failure
        return len(rows)

    def publish_all(self, rows: Sequence[Row[Any]]) -> tuple[list[int], Exception | None]:
        """Publish every row, then wait once for the broker's confirms of the whole batch (one
        round trip per batch, not one per row). Answers (ids confirmed, the failure or None): a
        row whose confirm did not come, or came as a nack, stays unpublished and goes again."""
        by_tag: dict[int, int] = {}
        failure: Exception | None = None
        try:
            self.open_channel()
            for row in rows:
                self.publish(row.type, row.envelope)
                self.last_tag += 1
                by_tag[self.last_tag] = row.id
        except Exception as exc:
            failure = exc
        try:
            deadline = time.monotonic() + CONFIRM_TIMEOUT_S
            while by_tag and not self.confirms.settled(by_tag):
                left = deadline - time.monotonic()
                if left <= 0 or self.connection is None:
                    raise TimeoutError("publisher confirms did not arrive")
                self.connection.drain_events(timeout=left)
        except Exception as exc:
            failure = failure or exc
        sent = self.confirms.take(by_tag) if by_tag else []
        if failure is None and len(sent) < len(by_tag):
            failure = RuntimeError(f"the broker refused {len(by_tag) - len(sent)} message(s)")
        return sent, failure

    def open_channel(self) -> None:
        if self.connection is not None:
            return
        self.connection = connection = Connection(self.amqp_uri, connect_timeout=5, ssl=self.ssl)
        connection.ensure_connection(max_retries=1)  # fail this pass; run() backs off
        channel = connection.channel()
        channel.confirm_select()
        self.confirms, self.last_tag = Confirms(), 0  # tags count from 1 on a channel in confirm mode
        channel.events["basic_ack"].add(self.confirms.ack)
        channel.events["basic_nack"].add(self.confirms.nack)
        self.producer = connection.Producer(channel)
        self.exchange(channel).declare()

    def publish(self, type_: str, env: dict[str, Any]) -> None:
        headers = {"nameko.correlation_id": env["correlation_id"]} if env.get("correlation_id") else {}
        self.producer.publish(
            env,
            exchange=self.exchange,
            routing_key=type_,
            serializer="json",
            delivery_mode=2,
            headers=headers,
            retry=False,
        )

    def report_pending(self, conn: DbConnection) -> None:
        o = self.outbox
        count, oldest = conn.execute(
            select(func.count(), func.extract("epoch", func.now() - func.min(o.c.created_at))).where(
                o.c.published_at.is_(None)
            )
        ).one()
        metrics.OUTBOX_PENDING.labels(self.service_name).set(count)
        metrics.OUTBOX_LAG.labels(self.service_name).set(float(oldest or 0))

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # already broken
                self.connection.release()
            self.connection = None

    def stop(self) -> None:
        self.running = False
        self.wakeup.set()


class OutboxRelay(DependencyProvider):
    """Needs the service's `Database` provider; starts relaying when the container starts."""

    relay: Relay | None

    def setup(self) -> None:
        from services.common.db import Database  # the Database provider owns engine and tables

        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.database = database
        self.relay = None

    def start(self) -> None:
        config = self.container.config
        self.relay = relay = Relay(
            self.container.service_name,
            self.database.engine,
            self.database.outbox,
            config["AMQP_URI"],
            float(config.get("OUTBOX_POLL_S", 0.5)),
            ssl=config.get("AMQP_SSL"),
        )
        self.database.commit_hooks.append(self.after_commit)
        self.thread = self.container.spawn_managed_thread(relay.run)

    def after_commit(self, session: Session) -> None:
        if session.info.get("outbox_written") and self.relay is not None:
            self.relay.wakeup.set()

    def stop(self) -> None:
        if self.relay:
            self.relay.stop()
            self.thread.wait()
            self.relay.close()

    def kill(self) -> None:
        if self.relay:
            self.relay.stop()
            self.relay.close()
