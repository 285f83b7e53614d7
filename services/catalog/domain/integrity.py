"""The catalog's facts for the integrity check (services/audit/integrity.py): read-only."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.catalog.domain import loop
from services.catalog.models import Code


def integrity_facts(session: Session, days: float) -> dict[str, Any]:
    """For the integrity check: codes sold per order in the last `days` days, sold codes with no
    order, and any code stored twice for a SKU (the keyed-hash index forbids it: a check of it);
    then the loop codes given per order, and any single-sale code given by the loop path."""
    recent = Code.sold_at > func.now() - timedelta(days=days)
    sold = (
        session.execute(
            select(Code.order_no, func.count())
            .where(Code.status == "sold", recent, Code.order_no.is_not(None))
            .group_by(Code.order_no)
        )
        .tuples()
        .all()
    )
    orphans = session.execute(select(func.count()).where(Code.status == "sold", Code.order_no.is_(None))).scalar_one()
    twice = session.execute(
        select(Code.sku, func.count()).group_by(Code.sku, Code.code_hash).having(func.count() > 1)
    ).all()
    return {
        "sold": dict(sold),
        "sold_without_order": orphans,
        "stored_twice": [[sku, n] for sku, n in twice],
        **loop.integrity_facts(session, days),
    }
