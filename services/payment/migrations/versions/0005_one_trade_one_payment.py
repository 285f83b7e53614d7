"""payment: one channel trade pays one payment (a transfer or trade number settles one payment only);
a refund given up may be superseded by the order's whole refund"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
S = "payment"


def upgrade():
    op.create_index(
        "payments_channel_trade_no",
        "payments",
        ["channel", "channel_trade_no"],
        schema=S,
        unique=True,
        postgresql_where=sa.text("channel_trade_no IS NOT NULL"),
    )
    op.drop_constraint("refund_status", "refunds", schema=S, type_="check")
    op.create_check_constraint(
        "refund_status", "refunds", "status IN ('refunding', 'refunded', 'refund_failed', 'superseded')", schema=S
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
