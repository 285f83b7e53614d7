"""The inbox (DESIGN §4): one row per (consumer, event_id), written in the same transaction as
the consumer's effect, so a redelivered event changes nothing."""
from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID, insert


def table(metadata: MetaData):
    return Table(
        "inbox", metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", UUID(as_uuid=False), nullable=False),
        Column("event_type", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


def claim(session, inbox, consumer, env):
    """True the first time this consumer sees this event (in this transaction), else False."""
    return bool(claim_all(session, inbox, consumer, [env]))


def claim_all(session, inbox, consumer, envs):
    """The envelopes this consumer sees for the first time, in their order, each event once
    (one statement for the lot)."""
    rows = [{"consumer": consumer, "event_id": env["event_id"], "event_type": env["type"]} for env in envs]
    new = set(session.scalars(insert(inbox).values(rows).on_conflict_do_nothing().returning(inbox.c.event_id)))
    fresh = []
    for env in envs:
        if env["event_id"] in new:
            new.discard(env["event_id"])       # a second copy in the same batch is a duplicate too
            fresh.append(env)
    return fresh
