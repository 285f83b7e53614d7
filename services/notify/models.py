from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Identity, Integer, LargeBinary, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("notify")


metadata = Base.metadata


class Target(Base):
    """A staff webhook set up by an admin: where (`url`, encrypted: a bot URL carries its token),
    how (`format`; `secret` signs DingTalk requests, encrypted), what (`topics`) and in which language."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    format: Mapped[str] = mapped_column(Text)  # generic | wecom | dingtalk | telegram
    url: Mapped[bytes] = mapped_column(LargeBinary)
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    chat_id: Mapped[str | None] = mapped_column(Text)  # telegram
    topics: Mapped[list] = mapped_column(JSONB, default=list)  # support | stock | supplier
    language: Mapped[str] = mapped_column(Text, default="zh")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Message(Base):
    """One message to one recipient over one channel for one event: unique, so never queued twice.
    pending -> sent | off (e-mail switched off) | failed (MAX_ATTEMPTS tries). `lease` names the
    claim that may send it now; `next_try_at` is when the lease runs out or the next try is due."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("event_id", "recipient", "channel", name="messages_once"),)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)  # an e-mail address, or "target:<id>"
    channel: Mapped[str] = mapped_column(Text)  # email | webhook
    template: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
