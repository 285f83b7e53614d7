from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import CIDR, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("risk")


metadata = Base.metadata


class Decision(Base):
    __tablename__ = "decisions"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    outcome: Mapped[str] = mapped_column(Text)  # approve | review | reject
    score: Mapped[int] = mapped_column(Integer)
    rules: Mapped[list] = mapped_column(JSONB)  # the rules that fired, with reasons
    signals: Mapped[dict] = mapped_column(JSONB)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    rules_version: Mapped[int | None] = mapped_column(Integer)
    hold_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # review: window end
    resolution: Mapped[str | None] = mapped_column(Text)  # review: approved | rejected (by an admin)
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class RuleSet(Base):
    """Every version of the rules, append-only; the highest version is in force."""

    __tablename__ = "rule_sets"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[dict] = mapped_column(JSONB)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ListEntry(Base):
    """Blacklist (`block`) and allowlist (`allow`) entries; values normalised (lower-case contacts
    and domains, canonical addresses and networks)."""

    __tablename__ = "lists"
    __table_args__ = (UniqueConstraint("list", "kind", "value"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    list: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)
    network: Mapped[str | None] = mapped_column(CIDR)  # kind cidr: matched with >>=
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class KnownContact(Base):
    """Contacts that have paid at least once (the new-contact rule's memory)."""

    __tablename__ = "known_contacts"
    contact: Mapped[str] = mapped_column(Text, primary_key=True)
    first_paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
