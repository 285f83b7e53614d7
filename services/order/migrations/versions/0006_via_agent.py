"""order: a buyer's order placed in an agent's sub-store or through its link (issue 19) names the
agent; it is priced at the agent's retail price and its profit shares follow its completion."""

import sqlalchemy as sa
from alembic import op

revision = "0006_via_agent"
down_revision = "0005_agent_orders"
S = "order"


def upgrade():
    op.add_column("orders", sa.Column("via_agent_id", sa.BigInteger), schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
