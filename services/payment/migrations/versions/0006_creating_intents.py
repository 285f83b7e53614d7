"""payment: an intent is 'creating' until its channel has answered (asked outside any transaction)"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
S = "payment"


def upgrade():
    op.drop_constraint("status", "payments", schema=S, type_="check")
    op.create_check_constraint(
        "status", "payments", "status IN ('creating', 'pending', 'closed', 'paid', 'refunding', 'refunded')", schema=S
    )
    op.create_index(
        "payments_creating", "payments", ["created_at"], schema=S, postgresql_where=sa.text("status = 'creating'")
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
