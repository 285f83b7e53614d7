"""Member levels (issue 18, DESIGN §3): a level is reached by a buyer whose completed orders
total at least its threshold; its name is the one the catalog's level prices use. A buyer moves
by themselves: each `order_completed` of theirs adds its amount to their total once (the inbox)
and sets their level to the highest one whose threshold the total reaches. Changing the levels
sets every buyer's level from the new list at once (one statement)."""

from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from services.account.models import Buyer, MemberLevel
from services.common import audit, sql
from services.common.envelope import isoformat
from services.common.errors import Conflict, NotFound

COUNTED_CURRENCY = "CNY"  # thresholds are in this currency's minor units


def view(level: MemberLevel) -> dict[str, Any]:
    return {"name": level.name, "threshold": level.threshold, "created_at": isoformat(level.created_at)}


def all_levels(session: Session) -> list[dict[str, Any]]:
    return [view(lv) for lv in session.scalars(select(MemberLevel).order_by(MemberLevel.threshold))]


def level_for(session: Session, total: int) -> str | None:
    return session.scalar(
        select(MemberLevel.name).where(MemberLevel.threshold <= total).order_by(MemberLevel.threshold.desc()).limit(1)
    )


def _check_free(session: Session, threshold: int, name: str | None = None) -> None:
    other = session.scalar(select(MemberLevel.name).where(MemberLevel.threshold == threshold))
    if other is not None and other != name:
        raise Conflict("another level has this threshold", {"level": other})


def create(session: Session, actor: str, name: str, threshold: int) -> dict[str, Any]:
    if session.get(MemberLevel, name) is not None:
        raise Conflict("this level exists", {"level": name})
    _check_free(session, threshold)
    level = MemberLevel(name=name, threshold=threshold)
    session.add(level)
    session.flush()
    audit.record(session, actor, "member_level.create", name, {"after": {"threshold": threshold}})
    regrade(session)
    session.refresh(level)
    return view(level)


def change(session: Session, actor: str, name: str, threshold: int) -> dict[str, Any]:
    level = _level(session, name)
    _check_free(session, threshold, name)
    before, level.threshold = level.threshold, threshold
    session.flush()
    audit.record(
        session,
        actor,
        "member_level.update",
        name,
        {"before": {"threshold": before}, "after": {"threshold": threshold}},
    )
    regrade(session)
    return view(level)


def remove(session: Session, actor: str, name: str) -> dict[str, Any]:
    level = _level(session, name)
    shown = view(level)
    session.delete(level)
    session.flush()
    audit.record(session, actor, "member_level.delete", name, {"before": {"threshold": shown["threshold"]}})
    regrade(session)
    return shown


def _level(session: Session, name: str) -> MemberLevel:
    level = session.get(MemberLevel, name, with_for_update=True)
    if level is None:
        raise NotFound("no such level", {"level": name})
    return level


REGRADE = text(
    f"UPDATE {sql.qualified(Buyer.__table__)} b SET level = ("
    f"SELECT name FROM {sql.qualified(MemberLevel.__table__)} l WHERE l.threshold <= b.total_spent "
    "ORDER BY l.threshold DESC LIMIT 1) "
    f"WHERE b.level IS DISTINCT FROM (SELECT name FROM {sql.qualified(MemberLevel.__table__)} l "
    "WHERE l.threshold <= b.total_spent ORDER BY l.threshold DESC LIMIT 1)"
)


def regrade(session: Session) -> None:
    session.execute(REGRADE)


def on_order_completed(session: Session, envelope: dict[str, Any], count_points: bool = False) -> None:
    """A completed order of a signed-in buyer counts once toward their total (a guest's: not);
    with KAMENG_POINTS_COUNT_TOWARD_LEVELS (`count_points`) the points it earned count too, at
    their value (issue 22)."""
    data = envelope["data"]
    if not data.get("buyer_id") or data.get("currency", COUNTED_CURRENCY) != COUNTED_CURRENCY:
        return
    counted = int(data["amount"]) + (int(data.get("points_earned_value") or 0) if count_points else 0)
    buyer = session.execute(
        update(Buyer)
        .where(Buyer.id == data["buyer_id"])
        .values(total_spent=Buyer.total_spent + counted)
        .returning(Buyer.id, Buyer.total_spent, Buyer.level)
    ).first()
    if buyer is None:
        return
    reached = level_for(session, buyer.total_spent)
    if reached != buyer.level:
        session.execute(update(Buyer).where(Buyer.id == buyer.id).values(level=reached))
