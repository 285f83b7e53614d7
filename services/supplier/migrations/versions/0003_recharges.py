"""supplier: direct recharges and their attempts at suppliers"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

NOW = sa.func.now()


def upgrade():
    op.create_table(
        "recharges",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="trying"),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('trying', 'succeeded', 'failed')", name="recharges_status"),
        schema="supplier",
    )
    op.create_table(
        "attempts",
        sa.Column("attempt_id", sa.Text, primary_key=True),
        sa.Column("order_no", sa.Text, sa.ForeignKey("supplier.recharges.order_no"), nullable=False, index=True),
        sa.Column("supplier_id", sa.BigInteger, sa.ForeignKey("supplier.suppliers.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("supplier_order_id", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("callbacks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("queries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_queried_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'unknown')", name="attempts_status"),
        sa.UniqueConstraint("order_no", "seq", name="attempts_order_seq"),
        schema="supplier",
    )
    # one supplier at a time may hold an order: at most one attempt not known to have ended
    op.create_index(
        "attempts_one_open_per_order",
        "attempts",
        ["order_no"],
        unique=True,
        schema="supplier",
        postgresql_where=sa.text("status IN ('pending', 'unknown')"),
    )
    # the poller's scan: open attempts only
    op.create_index(
        "attempts_open",
        "attempts",
        ["started_at"],
        schema="supplier",
        postgresql_where=sa.text("status IN ('pending', 'unknown')"),
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
