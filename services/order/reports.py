"""Read-only figures for the admin dashboard."""

from datetime import datetime

from sqlalchemy import func, select

from services.order.models import Order

SOLD = ("paid", "delivering", "completed")


def dashboard(session, since):
    since = datetime.fromisoformat(since) if isinstance(since, str) else since
    """Orders created since `since` by status, sales (paid since then, minor units), and the
    orders waiting for a person (review) whenever they were created."""
    by_status = dict(
        session.execute(
            select(Order.status, func.count()).where(Order.created_at >= since).group_by(Order.status)
        ).all()
    )
    count, amount = session.execute(
        select(func.count(), func.coalesce(func.sum(Order.amount), 0)).where(
            Order.paid_at >= since, Order.status.in_(SOLD)
        )
    ).one()
    waiting = session.scalar(select(func.count()).where(Order.status == "review"))
    return {"by_status": by_status, "sales_count": count, "sales_amount": int(amount), "review_waiting": waiting}
