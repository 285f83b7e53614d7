"""supplier: purchases of codes by auto-replenishment"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade():
    op.create_table(
        "purchases",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("supplier_id", sa.BigInteger, sa.ForeignKey("supplier.suppliers.id"), nullable=False),
        sa.Column("request_id", sa.Text, nullable=False, unique=True),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("bought", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unit_cost", sa.BigInteger, nullable=False),
        sa.Column("cost", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('buying', 'bought', 'failed', 'capped')", name="purchases_status"),
        sa.CheckConstraint("quantity >= 0 AND bought >= 0 AND cost >= 0", name="purchases_not_negative"),
        schema="supplier",
    )
    op.create_index("purchases_sku_time", "purchases", ["sku", "created_at"], schema="supplier")
    op.create_index(
        "purchases_open", "purchases", ["created_at"], schema="supplier", postgresql_where=sa.text("status = 'buying'")
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
