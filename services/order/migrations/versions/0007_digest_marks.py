"""order: the mark of the `orders_placed` digest (services/order/digest.py)"""

import sqlalchemy as sa
from alembic import op

revision = "0007_digest_marks"
down_revision = "0006_via_agent"
S = "order"


def upgrade():
    op.create_table(
        "digest_marks",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_order_no", sa.Text, nullable=False),
        schema=S,
    )
    # from the first order on: the analytics service replays the whole history once
    op.execute("""INSERT INTO "order".digest_marks VALUES ('orders_placed', '-infinity', '')""")


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
