"""The outbox relay against what the real broker answers: a row is marked published only when the
broker confirmed its message. A nack (the broker refused it) or a confirm that never comes leaves
the row to go out again on a later pass, once the broker takes it. Nothing is lost."""

import socket

import eventlet
import pytest
from kombu import Connection, Queue
from sqlalchemy import select

from services.common import outbox
from services.common.db import make_engine, service_metadata, transaction
from services.common.testing import unique

SERVICE = "relayprobe"
metadata = service_metadata("relay_probe")
TABLE = metadata.tables["relay_probe.outbox"]


@pytest.fixture(scope="module")
def probe_engine(database_url):
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS relay_probe")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def rows(probe_engine):
    """Three committed outbox rows, nothing else pending in the table: their notes, in order."""
    with probe_engine.begin() as conn:
        conn.execute(TABLE.update().where(TABLE.c.published_at.is_(None)).values(published_at=TABLE.c.created_at))
    notes = [unique(f"row{n}") for n in range(3)]
    with transaction(probe_engine, metadata) as session:
        for note in notes:
            outbox.add(session, "probe_happened", {"note": note})
    return notes


def published(engine, notes):
    """{note: published?} for those rows."""
    with engine.connect() as conn:
        found = conn.execute(select(TABLE.c.envelope, TABLE.c.published_at)).all()
    return {
        r.envelope["data"]["note"]: r.published_at is not None for r in found if r.envelope["data"]["note"] in notes
    }


def bind(conn, name, **arguments):
    """A durable queue on the probe's event exchange for its one event type."""
    queue = Queue(
        name,
        exchange=outbox.event_exchange(SERVICE),
        routing_key="probe_happened",
        durable=True,
        queue_arguments=arguments or None,
    )
    queue(conn.default_channel).declare()
    return queue


def received(conn, queue):
    """Notes of the messages waiting in `queue`, taken off it."""
    notes = []
    with conn.SimpleQueue(queue) as simple:
        while True:
            try:
                message = simple.get(timeout=1)
            except simple.Empty:
                return notes
            notes.append(message.payload["data"]["note"])
            message.ack()


def test_rows_the_broker_nacks_stay_unpublished_and_go_out_once_it_accepts(config, probe_engine, rows):
    relay = outbox.Relay(SERVICE, probe_engine, TABLE, config["AMQP_URI"], poll_s=0.1)
    with Connection(config["AMQP_URI"]) as conn:
        # a full queue that refuses more: the broker confirms the first two and nacks the third
        queue = bind(conn, unique("full"), **{"x-max-length": 2, "x-overflow": "reject-publish"})
        with pytest.raises(RuntimeError, match="refused 1"):
            relay.publish_batch()
        assert published(probe_engine, rows) == {rows[0]: True, rows[1]: True, rows[2]: False}
        assert received(conn, queue) == rows[:2]  # room again: the next pass is accepted

        assert relay.publish_batch() == 1
        assert published(probe_engine, rows) == dict.fromkeys(rows, True)
        assert received(conn, queue) == [rows[2]]  # the refused one, once; the others not again
        assert relay.publish_batch() == 0
    relay.close()


def test_a_queue_that_refuses_everything_leaves_every_row_for_later(config, probe_engine, rows):
    relay = outbox.Relay(SERVICE, probe_engine, TABLE, config["AMQP_URI"], poll_s=0.1)
    with Connection(config["AMQP_URI"]) as conn:
        refusing = bind(conn, unique("refusing"), **{"x-max-length": 0, "x-overflow": "reject-publish"})
        for _ in range(2):  # refused again and again: still kept
            with pytest.raises(RuntimeError, match="refused 3"):
                relay.publish_batch()
            assert published(probe_engine, rows) == dict.fromkeys(rows, False)
        refusing(conn.default_channel).delete()
        accepting = bind(conn, unique("accepting"))
        assert relay.publish_batch() == 3
        assert published(probe_engine, rows) == dict.fromkeys(rows, True)
        assert received(conn, accepting) == rows
    relay.close()


class Blackhole:
    """A TCP proxy to the broker that can stop passing the broker's frames back (the client's
    still reach the broker): a publisher confirm then never arrives, as on a half-dead link."""

    def __init__(self, port=5672):
        self.target = ("127.0.0.1", port)
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.swallow = False
        self.sockets, self.pumps = [], []
        self.server = eventlet.spawn(self.serve)

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            self.pumps += [
                eventlet.spawn(self.pump, client, upstream, back=False),
                eventlet.spawn(self.pump, upstream, client, back=True),
            ]

    def pump(self, source, sink, back):
        try:
            while data := source.recv(65536):
                if not (back and self.swallow):
                    sink.sendall(data)
        except OSError:
            pass

    def close(self):
        # the green threads first, then their sockets: a socket closed under a thread still waiting
        # on it leaves the hub a listener on an fd number the next test's connection may reuse
        for thread in [self.server, *self.pumps]:
            thread.kill()
        for s in [*self.sockets, self.listener]:
            s.close()


def test_a_confirm_that_never_comes_leaves_the_rows_to_be_published_again(config, probe_engine, rows, monkeypatch):
    monkeypatch.setattr(outbox, "CONFIRM_TIMEOUT_S", 1.0)
    proxy = Blackhole()
    through_proxy = config["AMQP_URI"].replace("127.0.0.1:5672", f"127.0.0.1:{proxy.port}")
    assert through_proxy != config["AMQP_URI"]
    relay = outbox.Relay(SERVICE, probe_engine, TABLE, through_proxy, poll_s=0.1)
    try:
        with Connection(config["AMQP_URI"]) as conn:
            queue = bind(conn, unique("confirmless"))
            relay.open_channel()  # a sound connection, then the link half dies
            proxy.swallow = True
            with pytest.raises(TimeoutError):
                relay.publish_batch()
            assert published(probe_engine, rows) == dict.fromkeys(rows, False)
            assert received(conn, queue) == rows  # the broker had them: at-least-once, not lost

            proxy.swallow = False  # (the confirms sent meanwhile are gone)
            relay.close()  # as the relay loop does after a failed pass
            assert relay.publish_batch() == 3
            assert published(probe_engine, rows) == dict.fromkeys(rows, True)
            assert received(conn, queue) == rows  # sent again (consumers deduplicate by event id)
    finally:
        proxy.swallow = False
        relay.close()
        proxy.close()
