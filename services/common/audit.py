"""Append-only audit trail (DESIGN §5): every admin action leaves a row, written in the same
transaction as the change it describes. Each service keeps its own `audit` table."""

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session


def table(metadata: MetaData) -> Table:
    return Table(
        "audit",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("actor", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("data", JSONB, nullable=False, server_default="{}"),
        Column("correlation_id", Text),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def record(session: Session, actor: str, action: str, subject: str, data: dict[str, Any] | None = None) -> None:
    audit = session.info["audit"]
    session.execute(
        audit.insert().values(
            actor=actor,
            action=action,
            subject=subject,
            data=data or {},
            correlation_id=session.info.get("correlation_id"),
        )
    )
