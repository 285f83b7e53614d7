from datetime import datetime

from sqlalchemy import DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import service_base

Base = service_base("risk")
metadata = Base.metadata


class Decision(Base):
    __tablename__ = "decisions"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    outcome: Mapped[str] = mapped_column(Text)            # approve | review | reject
    score: Mapped[int] = mapped_column(Integer)
    rules: Mapped[list] = mapped_column(JSONB)            # the rules that fired, with reasons
    signals: Mapped[dict] = mapped_column(JSONB)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
