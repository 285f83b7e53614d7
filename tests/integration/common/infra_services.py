"""Small services, in schemas of their own, that exercise the shared infrastructure exactly as
domain services use it: an emitter whose RPC writes outbox rows, and listeners whose event
handlers record an effect through the inbox (and fail on purpose for "poison" notes): one
message at a time, and in batches."""

import logging

import eventlet
from sqlalchemy import Column, Table, Text, select

from services.common import outbox
from services.common.db import Database, each_one, service_metadata
from services.common.errors import Conflict
from services.common.events import batch_handler, event_handler
from services.common.rpc import RpcProxy, rpc
from services.common.service import BaseService

log = logging.getLogger("infra_test")

emitter_metadata = service_metadata("infra_emitter")
listener_metadata = service_metadata("infra_listener")
caller_metadata = service_metadata("infra_caller")
effects = Table(
    "effects", listener_metadata, Column("note", Text, nullable=False), Column("event_id", Text, nullable=False)
)
ATTEMPTS = []  # poison deliveries seen, in this process
BATCHES = []  # sizes of the batches the batch listener was handed, in this process


def create_schemas(engine):
    with engine.begin() as conn:
        for schema in ("infra_emitter", "infra_listener", "infra_caller"):
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for metadata in (emitter_metadata, listener_metadata, caller_metadata):
        metadata.create_all(engine)


def record(session, envelope):
    note = envelope["data"]["note"]
    log.info("recording %s", note)
    if note.startswith("poison"):
        ATTEMPTS.append(note)
        raise RuntimeError("this handler always fails for poison")
    if note.startswith("slow"):  # holds its batch, so that what arrives meanwhile waits
        eventlet.sleep(0.5)
    session.execute(effects.insert().values(note=note, event_id=envelope["event_id"]))


def notes(session, prefix):
    return [r.note for r in session.execute(select(effects.c.note).where(effects.c.note.like(prefix + "%")))]


class Emitter(BaseService):
    name = "emitter"
    db = Database(emitter_metadata)

    @rpc(expected_exceptions=Conflict)
    def emit(self, note, fail=False):
        log.info("emitting %s", note)
        with self.db.transaction() as session:
            outbox.add(session, "thing_happened", {"note": note})
            if fail:
                raise Conflict("rolled back on purpose")


class Listener(BaseService):
    name = "listener"
    db = Database(listener_metadata)

    @event_handler("emitter", "thing_happened")
    def handle_thing_happened(self, envelope):
        self.db.once("listener.handle_thing_happened", envelope, record)


class BatchListener(BaseService):
    name = "batch_listener"
    db = Database(listener_metadata)

    @batch_handler("emitter", "thing_happened")
    def handle_things(self, envelopes):
        BATCHES.append(len(envelopes))
        self.db.once_all("batch_listener.handle_things", envelopes, each_one(record))


class Caller(BaseService):
    """Calls the emitter through the house RpcProxy, as services call each other."""

    name = "caller"
    db = Database(caller_metadata)
    emitter_rpc = RpcProxy("emitter")

    @rpc
    def relay_emit(self, note):
        self.emitter_rpc.emit(note)
