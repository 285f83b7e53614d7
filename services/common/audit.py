"""Append-only audit trail (DESIGN §5): every admin action leaves a row, written in the same
transaction as the change it describes. Each service keeps its own `audit` table.

The actor is one text, the same in every service's audit table and in the columns that name who
did something (a rule set's author, a review's reviewer): `who(name, role, ip)` writes it as
"<name> (<role>) from <ip>", e.g. "staff:12 alice@example.com (operator) from 203.0.113.9" or
"bootstrap-token (owner) from 127.0.0.1"; `parse` reads it back. A text rather than new columns
keeps every service's RPCs and tables as they are (issue 18). Changes to settings and prices
record {"before": ..., "after": ...} in `data`."""

import re
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

WHO = re.compile(r"^(?P<name>.+) \((?P<role>[a-z,]+)\)(?: from (?P<ip>\S+))?$")


def who(name: str, role: str, ip: str | None = None) -> str:
    return f"{name} ({role})" + (f" from {ip}" if ip else "")


def parse(actor: str) -> dict[str, str | None]:
    """{"name", "role", "ip"} of an actor written by `who` ({"name": actor, ...None} otherwise)."""
    match = WHO.match(actor)
    return match.groupdict() if match else {"name": actor, "role": None, "ip": None}


def ip_of(actor: str) -> str | None:
    return parse(actor)["ip"]


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
