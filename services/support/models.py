"""The support service's tables (schema `support`, issue 21): tickets with their SLA clock, the
messages both ways, attachments (bytea, served only to the ticket's parties) and the SLA policies
per category and priority."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Identity, Integer, LargeBinary, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("support")


metadata = Base.metadata
TS = DateTime(timezone=True)


class Ticket(Base):
    __tablename__ = "tickets"
    ticket_id: Mapped[str] = mapped_column(Text, primary_key=True)  # random, the buyer sees it
    order_no: Mapped[str] = mapped_column(Text)
    buyer_id: Mapped[int | None] = mapped_column(BigInteger)  # a signed-in member's, else a guest's
    contact: Mapped[str] = mapped_column(Text)  # the order's contact: where replies are announced
    language: Mapped[str] = mapped_column(Text, server_default="zh")
    category: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(Text, server_default="normal")
    subject: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="open")
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)  # a staff id (account service)
    assignee: Mapped[str | None] = mapped_column(Text)  # their name, as the account service gave it
    opened_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    warn_at: Mapped[datetime] = mapped_column(TS)
    due_at: Mapped[datetime] = mapped_column(TS)
    warned_at: Mapped[datetime | None] = mapped_column(TS)
    breached_at: Mapped[datetime | None] = mapped_column(TS)
    first_response_at: Mapped[datetime | None] = mapped_column(TS)
    sla: Mapped[str] = mapped_column(Text, server_default="pending")  # pending | met | breached
    escalated: Mapped[bool] = mapped_column(Boolean, server_default="false")  # the supervisor queue
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)  # buyer | staff | system
    author: Mapped[str] = mapped_column(Text)  # "buyer" or the staff member's name
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)  # what the bytes are (magic), not what was declared
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class SlaPolicy(Base):
    __tablename__ = "sla_policies"
    category: Mapped[str] = mapped_column(Text, primary_key=True)  # or "*"
    priority: Mapped[str] = mapped_column(Text, primary_key=True)  # or "*"
    respond_s: Mapped[int] = mapped_column(Integer)
    warn_s: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
