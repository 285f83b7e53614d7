"""order: orders, their transitions, idempotency keys"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
S = "order"


def upgrade():
    op.create_table(
        "orders",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("delivery", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("price_rule", JSONB, nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("recharge_account", sa.Text),
        sa.Column("coupon", sa.Text),
        sa.Column("payment_channel", sa.Text, nullable=False),
        sa.Column("payment_no", sa.Text, unique=True),
        sa.Column("pay_url", sa.Text),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_requests", JSONB, nullable=False, server_default="[]"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step_started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("codes_shown_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("quantity > 0 AND amount >= 0", name="positive"),
        schema=S,
    )
    op.create_index("orders_status_step", "orders", ["status", "step_started_at"], schema=S)
    op.create_index("orders_contact", "orders", ["contact"], schema=S)
    op.create_index("orders_created", "orders", ["created_at"], schema=S)
    op.create_table(
        "transitions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("order_no", sa.Text, nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("data", JSONB, nullable=False, server_default="{}"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_index("transitions_order", "transitions", ["order_no", "id"], schema=S)
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_hash", sa.LargeBinary, nullable=False),
        sa.Column("order_no", sa.Text),
        sa.Column("token", sa.LargeBinary),
        sa.Column("response", sa.LargeBinary),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
