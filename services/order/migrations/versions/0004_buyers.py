"""order: the signed-in buyer an order belongs to (account's buyers; none for a guest)"""

import sqlalchemy as sa
from alembic import op

revision = "0004_buyers"
down_revision = "0003"
S = "order"


def upgrade():
    op.add_column("orders", sa.Column("buyer_id", sa.BigInteger), schema=S)
    op.create_index(
        "orders_buyer", "orders", ["buyer_id", "created_at"], schema=S, postgresql_where=sa.text("buyer_id IS NOT NULL")
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
