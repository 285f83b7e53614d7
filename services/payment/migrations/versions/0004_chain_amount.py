"""payment: the unique amount of a transfer-paid payment (USDT, micro-USDT)"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
S = "payment"


def upgrade():
    op.add_column("payments", sa.Column("chain_amount", sa.BigInteger), schema=S)
    op.create_index(
        "payments_chain_amount",
        "payments",
        ["channel", "chain_amount"],
        schema=S,
        postgresql_where=sa.text("chain_amount IS NOT NULL"),
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
