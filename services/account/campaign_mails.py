"""Campaign mails (issue 22): a member opts in on their account page; when the catalog says a
campaign's window has started (`campaign_started`, one event per window whatever the replicas),
each opted-in member with a verified e-mail gets one mail, queued in the transaction of the
event's inbox row (so a redelivered event queues nothing more) and sent by mails.py after the
commit. Members who did not opt in get nothing."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.account import mails
from services.account.models import Buyer
from services.common.crypto import DataKeys

SHOP_ZONE = ZoneInfo("Asia/Shanghai")


def set_opt_in(buyer: Buyer, on: bool) -> None:
    buyer.campaign_mails = on


def body(data: dict[str, Any], public_url: str) -> str:
    ends = datetime.fromisoformat(data["ends_at"].replace("Z", "+00:00")).astimezone(SHOP_ZONE)
    until = ends.strftime("%Y-%m-%d %H:%M")
    return "\n".join(
        [
            f"{data['name']}：限时立减 {data['percent_off']}% 已开始，{until}（北京时间）结束。",
            f"{data['name']}: {data['percent_off']}% off has started, until {until} (China time).",
            "",
            f"{public_url}/",
            "",
            f"不想再收到此类邮件？在 {public_url}/account 取消勾选 · "
            f"To stop these mails, untick the box at {public_url}/account",
        ]
    )


def on_campaign_started(session: Session, envelope: dict[str, Any], keys: DataKeys, public_url: str) -> int:
    data = envelope["data"]
    subject = f"限时优惠开始 · Sale on: {data['name']}"
    text = body(data, public_url) + "\n"
    members = session.scalars(
        select(Buyer.email).where(
            Buyer.campaign_mails.is_(True), Buyer.email.is_not(None), Buyer.email_verified_at.is_not(None)
        )
    ).all()
    for address in members:
        mails.queue(session, keys, address or "", subject, text)
    return len(members)
