"""The storefront's announcement (公告, issue 23): plain text with line breaks, edited in the
console, shown on the storefront home. Control characters other than the line break are dropped
and line ends made \\n; the pages escape it (no markup is ever rendered from it)."""

import re
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.catalog.models import ShopSetting
from services.common import audit
from services.common.envelope import isoformat

NAME = "announcement"
MAX_LENGTH = 2000
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def plain(text: str) -> str:
    return CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def view(row: ShopSetting | None) -> dict[str, Any]:
    if row is None:
        return {"text": "", "updated_by": None, "updated_at": None}
    return {"text": row.value, "updated_by": row.updated_by, "updated_at": isoformat(row.updated_at)}


def get_announcement(session: Session) -> dict[str, Any]:
    return view(session.get(ShopSetting, NAME))


def set_announcement(session: Session, actor: str, text: str) -> dict[str, Any]:
    value = plain(text)
    session.execute(
        insert(ShopSetting)
        .values(name=NAME, value=value, updated_by=actor)
        .on_conflict_do_update(
            index_elements=[ShopSetting.name], set_={"value": value, "updated_by": actor, "updated_at": func.now()}
        )
    )
    session.expire_all()
    audit.record(session, actor, "announcement.set", NAME, {"length": len(value)})
    return get_announcement(session)
