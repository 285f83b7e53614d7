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
    row = session.execute(
        insert(inbox).values(consumer=consumer, event_id=env["event_id"], event_type=env["type"])
        .on_conflict_do_nothing().returning(inbox.c.event_id)).first()
    return row is not None
