"""account: buyers' orders sold in an agent's sub-store or through its link (issue 19): the
ledger's agent orders gain a kind, "wallet" (an agent's own order, paid from its wallet) or
"retail" (a buyer paid through a payment channel; the agent and those above it share the margin)."""

import sqlalchemy as sa
from alembic import op

revision = "0006_retail_sales"
down_revision = "0005_agent_console"

S = "account"


def upgrade():
    op.add_column("agent_orders", sa.Column("kind", sa.Text, nullable=False, server_default="wallet"), schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
