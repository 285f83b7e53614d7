"""The inbox (DESIGN §4): one row per (consumer, event_id), written in the same transaction as
the consumer's effect, so a redelivered event changes nothing."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Session

from services.common import sql


def table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", UUID(as_uuid=False), nullable=False),
        Column("event_type", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


CLAIM = """INSERT INTO {table} (consumer, event_id, event_type)
SELECT %(consumer)s, e.id, e.type FROM unnest(%(ids)s::uuid[], %(types)s::text[]) AS e(id, type)
ON CONFLICT DO NOTHING RETURNING event_id::text"""


def claim_all(session: Session, inbox: Table, consumer: str, envs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The envelopes this consumer sees for the first time, in their order, each event once
    (one statement for the lot)."""
    ids = [str(uuid.UUID(str(env["event_id"]))) for env in envs]
    new = {
        row[0]
        for row in sql.run(
            session,
            CLAIM.format(table=sql.qualified(inbox)),
            {"consumer": consumer, "ids": ids, "types": [env["type"] for env in envs]},
        )
    }
    fresh = []
    for event_id, env in zip(ids, envs, strict=True):
        if event_id in new:
            new.discard(event_id)  # a second copy in the same batch is a duplicate too
            fresh.append(env)
    return fresh
