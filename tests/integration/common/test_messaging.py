"""The outbox, the inbox, retries and the dead-letter queue, through the real RabbitMQ and
PostgreSQL (each test in its own vhost)."""

import json
import logging
import socket
import uuid

import eventlet
import pytest
from kombu import Connection, Exchange, Queue
from nameko import messaging
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common import logs, metrics, outbox
from services.common.broker import BROKER_ERRORS, QueueConsumer
from services.common.db import after_commit, make_engine, transaction
from services.common.errors import Conflict
from services.common.events import dead_letter_queue
from services.common.rpc import ReplyPublisher
from services.common.testing import make_envelope, unique, wait_until
from tests.integration.common import infra_services as infra

QUEUE = "evt-emitter-thing_happened--listener.handle_thing_happened"


@pytest.fixture(scope="module")
def engine(database_url):
    engine = make_engine(database_url)
    infra.create_schemas(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def running(config, container_factory, engine):
    config.update(EVENT_MAX_ATTEMPTS=3)
    listener = container_factory(infra.Listener, config)
    emitter = container_factory(infra.Emitter, config)
    listener.start()  # queues are declared before anything is published
    emitter.start()
    return listener, emitter


def effect_notes(engine, prefix):
    with Session(engine) as session:
        return infra.notes(session, prefix)


def outbox_rows(engine, note):
    table = infra.emitter_metadata.tables["infra_emitter.outbox"]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.envelope, table.c.published_at)).all()
    return [r for r in rows if r.envelope["data"]["note"] == note]


def drain(queue):
    """The notes of every message waiting in a SimpleQueue (acked), until a second passes empty."""
    received = []
    while True:
        try:
            message = queue.get(timeout=1)
        except queue.Empty:
            return received
        received.append(message.payload["data"]["note"])
        message.ack()


def test_event_of_a_rolled_back_transaction_is_never_published(config, running, engine):
    listener, _ = running
    doomed, kept = unique("doomed"), unique("kept")
    with ClusterRpcProxy(config) as cluster:
        with pytest.raises(Conflict):
            cluster.emitter.emit(doomed, fail=True)
        cluster.emitter.emit(kept)
    wait_until(lambda: effect_notes(engine, kept), message="the committed event")
    listener.stop()  # lets its workers finish: had the doomed one come first, it is handled now
    assert effect_notes(engine, doomed) == []
    assert outbox_rows(engine, doomed) == []
    assert [r.published_at is not None for r in outbox_rows(engine, kept)] == [True]


def test_outbox_row_written_while_broker_unreachable_is_published_once_it_returns(config, engine):
    note = unique("outage")
    with Session(engine, info={"outbox": infra.emitter_metadata.tables["infra_emitter.outbox"]}) as s, s.begin():
        outbox.add(s, "thing_happened", {"note": note})
    with Connection(config["AMQP_URI"]) as conn:  # a queue to count what reaches the broker
        queue = conn.SimpleQueue(
            Queue("outage-probe", exchange=outbox.event_exchange("emitter"), routing_key="thing_happened")
        )
        queue.consumer.purge()
        relay = outbox.Relay(
            "emitter",
            engine,
            infra.emitter_metadata.tables["infra_emitter.outbox"],
            "amqp://guest:guest@127.0.0.1:1/",
            poll_s=0.1,
        )  # nothing listens on port 1
        errors_before = metrics.RELAY_ERRORS.labels("emitter")._value.get()
        thread = eventlet.spawn(relay.run)
        wait_until(
            lambda: metrics.RELAY_ERRORS.labels("emitter")._value.get() >= errors_before + 2,
            message="failed relay passes during the outage",
        )
        assert outbox_rows(engine, note)[0].published_at is None
        relay.amqp_uri = config["AMQP_URI"]  # the broker is back
        wait_until(lambda: outbox_rows(engine, note)[0].published_at, message="publication")
        received = drain(queue)
        relay.stop()
        thread.wait()
        relay.close()
        queue.close()
    assert received.count(note) == 1


def test_redelivered_event_changes_nothing(config, running, engine):
    listener, _ = running
    envelope = make_envelope("thing_happened", note=unique("twice"))
    dispatch = event_dispatcher(config)
    before = metrics.EVENTS_DUPLICATE.labels("listener.handle_thing_happened")._value.get()
    for _ in range(3):
        with entrypoint_waiter(listener, "handle_thing_happened"):
            dispatch("emitter", "thing_happened", envelope)
    assert effect_notes(engine, envelope["data"]["note"]) == [envelope["data"]["note"]]
    assert metrics.EVENTS_DUPLICATE.labels("listener.handle_thing_happened")._value.get() == before + 2


def test_failing_handler_dead_letters_after_bounded_tries_while_others_flow(config, running, engine):
    poison = unique("poison")
    good = [unique("good") for _ in range(5)]
    dispatch = event_dispatcher(config)
    dispatch("emitter", "thing_happened", make_envelope("thing_happened", note=poison))
    for note in good:
        dispatch("emitter", "thing_happened", make_envelope("thing_happened", note=note))
    wait_until(lambda: all(effect_notes(engine, n) for n in good), message="the good events")
    with Connection(config["AMQP_URI"]) as conn:
        dlq = conn.SimpleQueue(dead_letter_queue("listener", QUEUE))
        message = dlq.get(timeout=10)
        assert json.loads(message.body)["data"]["note"] == poison
        assert message.headers["x-kameng-attempt"] == 3
        assert "RuntimeError" in message.headers["x-kameng-error"]
        message.ack()
        dlq.close()
    assert infra.ATTEMPTS.count(poison) == 3  # exactly the configured tries, then parked
    wait_until(
        lambda: metrics.EVENTS_DEAD_LETTERED.labels(QUEUE)._value.get() >= 1,  # counted just after
        message="the dead letter to be counted",
    )


def test_malformed_envelope_goes_straight_to_the_dead_letter_queue(config, running):
    dispatch = event_dispatcher(config)
    dispatch("emitter", "thing_happened", {"type": "thing_happened", "data": {"note": "no id"}})
    with Connection(config["AMQP_URI"]) as conn:
        dlq = conn.SimpleQueue(dead_letter_queue("listener", QUEUE))
        message = dlq.get(timeout=10)
        assert message.headers.get("x-kameng-attempt") is None  # first try, no retries
        assert "ValidationError" in message.headers["x-kameng-error"]
        message.ack()
        dlq.close()


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.setFormatter(logs.JsonFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


def test_correlation_id_reaches_log_lines_of_both_services_through_rpc_and_event(config, running, engine):
    capture = Capture()
    logging.getLogger("infra_test").addHandler(capture)
    logging.getLogger("infra_test").setLevel(logging.INFO)
    cid, note = uuid.uuid4().hex, unique("traced")
    try:
        with ClusterRpcProxy(config, context_data={"correlation_id": cid}) as cluster:
            cluster.emitter.emit(note)
        wait_until(lambda: effect_notes(engine, note), message="the event's effect")
    finally:
        logging.getLogger("infra_test").removeHandler(capture)
    traced = {line["service"] for line in capture.lines if line["correlation_id"] == cid}
    assert traced == {"emitter", "listener"}
    published = outbox_rows(engine, note)[0].envelope
    assert published["correlation_id"] == cid


def test_relay_keeps_the_marks_of_what_the_broker_confirmed_before_a_failure(config, engine):
    table = infra.emitter_metadata.tables["infra_emitter.outbox"]
    notes = [unique("first"), unique("second")]
    with Session(engine, info={"outbox": table}) as s, s.begin():
        for note in notes:
            outbox.add(s, "thing_happened", {"note": note})

    class Flaky(outbox.Relay):
        def publish(self, type_, env):
            if env["data"]["note"] == notes[1]:
                raise ConnectionError("broker went away mid-batch")
            super().publish(type_, env)

    relay = Flaky("emitter", engine, table, config["AMQP_URI"], poll_s=0.1)
    with pytest.raises(ConnectionError):
        relay.publish_batch()
    relay.close()
    assert outbox_rows(engine, notes[0])[0].published_at is not None  # confirmed: not sent again
    assert outbox_rows(engine, notes[1])[0].published_at is None  # left for the next pass


def test_relay_publishes_a_whole_batch_once_each_in_order_and_marks_it(config, engine):
    table = infra.emitter_metadata.tables["infra_emitter.outbox"]
    batch = unique("batch")
    with Session(engine, info={"outbox": table}) as s, s.begin():
        for n in range(60):
            outbox.add(s, "thing_happened", {"note": f"{batch}-{n:02d}"})
    with Connection(config["AMQP_URI"]) as conn:
        queue = conn.SimpleQueue(
            Queue("batch-probe", exchange=outbox.event_exchange("emitter"), routing_key="thing_happened")
        )
        queue.consumer.purge()
        relay = outbox.Relay("emitter", engine, table, config["AMQP_URI"], poll_s=0.1)
        assert relay.publish_batch() >= 60  # one pass: published, confirmed, marked
        assert relay.publish_batch() == 0
        relay.close()
        received = drain(queue)
        queue.close()
    ours = [note for note in received if note.startswith(batch)]
    assert ours == [f"{batch}-{n:02d}" for n in range(60)]  # each once, in order
    assert all(outbox_rows(engine, f"{batch}-{n:02d}")[0].published_at for n in range(60))


BATCH_QUEUE = "evt-emitter-thing_happened--batch_listener.handle_things"


@pytest.fixture
def batching(config, container_factory, engine):
    """The batch listener alone, one batch at a time, so that what arrives during a batch waits."""
    config.update(EVENT_MAX_ATTEMPTS=3, EVENT_BATCH_WORKERS=1, EVENT_RETRY_DELAY_MS=100)
    listener = container_factory(infra.BatchListener, config)
    listener.start()
    infra.BATCHES.clear()
    return listener


def effect_counts(engine, prefix):
    notes = effect_notes(engine, prefix)
    return {note: notes.count(note) for note in notes}


def behind_a_slow_one(config, *envelopes):
    """Publish a slow event, then `envelopes`, which arrive while the slow one is handled."""
    dispatch = event_dispatcher(config)
    dispatch("emitter", "thing_happened", make_envelope("thing_happened", note=unique("slow")))
    for envelope in envelopes:
        dispatch("emitter", "thing_happened", envelope)


def test_events_that_wait_together_are_handled_in_one_batch_each_once(config, batching, engine):
    prefix = unique("together")
    behind_a_slow_one(config, *[make_envelope("thing_happened", note=f"{prefix}-{n}") for n in range(30)])
    wait_until(lambda: len(effect_notes(engine, prefix)) == 30, message="the 30 events")
    assert set(effect_counts(engine, prefix).values()) == {1}
    assert infra.BATCHES[0] == 1 and max(infra.BATCHES) >= 10  # they waited, then went together
    assert sum(infra.BATCHES) == 31


def test_a_poison_event_in_a_batch_is_retried_alone_while_the_rest_commit_once(config, batching, engine):
    prefix, poison = unique("neighbour"), unique("poison")
    envelopes = [make_envelope("thing_happened", note=f"{prefix}-{n}") for n in range(10)]
    envelopes.insert(5, make_envelope("thing_happened", note=poison))
    split = metrics.EVENT_BATCHES_SPLIT.labels(BATCH_QUEUE)._value.get()
    behind_a_slow_one(config, *envelopes)
    wait_until(lambda: len(effect_notes(engine, prefix)) == 10, message="the good events")
    assert set(effect_counts(engine, prefix).values()) == {1}
    assert metrics.EVENT_BATCHES_SPLIT.labels(BATCH_QUEUE)._value.get() >= split + 1
    with Connection(config["AMQP_URI"]) as conn:
        dlq = conn.SimpleQueue(dead_letter_queue("batch_listener", BATCH_QUEUE))
        message = dlq.get(timeout=15)
        assert json.loads(message.body)["data"]["note"] == poison
        assert message.headers["x-kameng-attempt"] == 3
        message.ack()
        dlq.close()
    assert set(effect_counts(engine, prefix).values()) == {1}  # the poison's retries redid nothing


def test_copies_of_one_event_in_one_batch_change_things_once(config, batching, engine):
    envelope = make_envelope("thing_happened", note=unique("copied"))
    other = make_envelope("thing_happened", note=unique("other"))
    before = metrics.EVENTS_DUPLICATE.labels("batch_listener.handle_things")._value.get()
    behind_a_slow_one(config, envelope, envelope, other, envelope)
    wait_until(lambda: effect_notes(engine, other["data"]["note"]), message="the other event")

    def copies_seen():  # each copy either changed something or was counted as a duplicate
        duplicates = metrics.EVENTS_DUPLICATE.labels("batch_listener.handle_things")._value.get() - before
        return len(effect_notes(engine, envelope["data"]["note"])) + duplicates >= 3

    wait_until(copies_seen, message="the three copies")
    assert effect_notes(engine, envelope["data"]["note"]) == [envelope["data"]["note"]]
    assert metrics.EVENTS_DUPLICATE.labels("batch_listener.handle_things")._value.get() == before + 2
    assert max(infra.BATCHES) == 4


def test_an_event_id_in_capitals_is_handled_once_like_any_other(config, running, engine):
    listener, _ = running
    envelope = make_envelope("thing_happened", note=unique("capitals"))
    envelope["event_id"] = envelope["event_id"].upper()  # a valid UUID all the same
    dispatch = event_dispatcher(config)
    for _ in range(2):
        with entrypoint_waiter(listener, "handle_thing_happened"):
            dispatch("emitter", "thing_happened", envelope)
    assert effect_notes(engine, envelope["data"]["note"]) == [envelope["data"]["note"]]


def test_rpc_replies_between_services_are_transient_and_requests_persistent(config, running, container_factory, engine):
    """A reply goes to a queue that does not outlive a broker restart: it is not written to disk.
    A request waits out a short restart in its durable queue and is still answered in time."""
    caller = container_factory(infra.Caller, config)
    caller.start()
    note = unique("transient")
    with Connection(config["AMQP_URI"]) as conn:
        rpc_exchange = Exchange("nameko-rpc", type="topic", durable=True)
        requests_seen = conn.SimpleQueue(Queue("probe-requests", exchange=rpc_exchange, routing_key="emitter.emit"))
        replies_seen = conn.SimpleQueue(
            Queue("probe-replies", exchange=rpc_exchange, routing_key="reply.caller.*")
        )  # the emitter's reply to the caller: keyed reply.<service>.<uuid> (services/common/rpc.py)
        with ClusterRpcProxy(config) as cluster:
            cluster.caller.relay_emit(note)
        request, reply = requests_seen.get(timeout=5), replies_seen.get(timeout=5)
        assert request.payload["args"] == [note]
        assert request.properties["delivery_mode"] == 2 and reply.properties["delivery_mode"] == 1
        requests_seen.close()
        replies_seen.close()
    wait_until(lambda: effect_notes(engine, note), message="the event the call caused")


@pytest.mark.parametrize("settle", ["ack_message", "requeue_message"])
def test_settling_a_message_on_a_connection_the_broker_dropped_is_not_an_error(config, settle):
    """nameko's consumer raises there (BrokenPipe, ConnectionReset), and nameko kills a service
    whose managed thread raises: a broker restart used to take services down with it. The house
    consumer logs it; the broker redelivers the message."""
    name = unique("dropped")
    with Connection(config["AMQP_URI"]) as conn:
        queue = conn.SimpleQueue(name)
        queue.put({"n": 1})
        queue.put({"n": 2})
        ours, namekos = queue.get(timeout=5), queue.get(timeout=5)
        conn.connection.transport.sock.shutdown(socket.SHUT_RDWR)  # the connection is gone
        with pytest.raises(BROKER_ERRORS):
            getattr(messaging.QueueConsumer(), settle)(namekos)
        getattr(QueueConsumer(), settle)(ours)
        conn.collect()
    with Connection(config["AMQP_URI"]) as conn:
        queue = conn.SimpleQueue(name)
        again = sorted([queue.get(timeout=5), queue.get(timeout=5)], key=lambda m: m.payload["n"])
        assert [(m.payload["n"], m.delivery_info["redelivered"]) for m in again] == [(1, True), (2, True)]
        for message in again:
            message.ack()


def test_a_command_whose_reply_could_not_be_sent_is_not_run_again(
    config, running, container_factory, engine, monkeypatch
):
    """The request is acked all the same: left unacked it would hold a prefetch slot and, once the
    connection closed, be redelivered and run a second time (a second order, a second refund)."""
    _, emitter = running
    note = unique("unanswered")
    original = ReplyPublisher.publish

    def lost(self, *args, **kwargs):
        monkeypatch.setattr(ReplyPublisher, "publish", original)
        raise ConnectionResetError("the reply's connection dropped")

    monkeypatch.setattr(ReplyPublisher, "publish", lost)
    with ClusterRpcProxy(config, timeout=2) as cluster:
        cluster.emitter.emit.call_async(note)
        wait_until(lambda: outbox_rows(engine, note), message="the command's effect")
        assert ReplyPublisher.publish is original  # its reply was the one lost
    emitter.stop()  # what was not acked comes back now
    again = container_factory(infra.Emitter, config)
    again.start()
    with ClusterRpcProxy(config, timeout=5) as cluster:
        cluster.emitter.emit(unique("after"))  # the new one answers: the queue is drained
    again.stop()  # lets its workers finish: a redelivered command, taken before "after", is done
    assert len(outbox_rows(engine, note)) == 1


def test_after_commit_runs_once_committed_and_never_after_a_rollback(engine):
    """What counts an effect (metrics) waits for the commit: a failed batch, rolled back and tried
    again event by event, must not count its events twice."""
    calls = []
    with transaction(engine, infra.emitter_metadata) as session:
        after_commit(session, lambda: calls.append("committed"))
        assert calls == []
    assert calls == ["committed"]
    with pytest.raises(Conflict), transaction(engine, infra.emitter_metadata) as session:
        after_commit(session, lambda: calls.append("rolled back"))
        raise Conflict("rolled back on purpose")
    assert calls == ["committed"]
