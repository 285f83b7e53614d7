"""order: agents' orders (the open API): the agent, its own order id (unique per agent) and the
hash of the body it was first sent with (the same id with another body is refused)"""

import sqlalchemy as sa
from alembic import op

revision = "0005_agent_orders"
down_revision = "0004_buyers"
S = "order"


def upgrade():
    op.add_column("orders", sa.Column("agent_id", sa.BigInteger), schema=S)
    op.add_column("orders", sa.Column("agent_order_id", sa.Text), schema=S)
    op.add_column("orders", sa.Column("request_hash", sa.LargeBinary), schema=S)
    op.create_index(
        "orders_agent_order",
        "orders",
        ["agent_id", "agent_order_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("agent_order_id IS NOT NULL"),
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
