"""order: points (issue 22): the points an order used and earned, members' point lots (what
they hold, by expiry) and the append-only entries of every movement"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008_points"
down_revision = "0007_digest_marks"
S = "order"


def upgrade():
    op.add_column("orders", sa.Column("points_used", sa.Integer, nullable=False, server_default="0"), schema=S)
    op.add_column("orders", sa.Column("points_earned", sa.Integer, nullable=False, server_default="0"), schema=S)
    op.create_table(
        "point_lots",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("buyer_id", sa.BigInteger, nullable=False),
        sa.Column("order_no", sa.Text),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("remaining", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("remaining >= 0 AND remaining <= points", name="point_lots_remaining"),
        schema=S,
    )
    op.create_index("point_lots_buyer", "point_lots", ["buyer_id", "expires_at"], schema=S)
    op.create_index("point_lots_due", "point_lots", ["expires_at"], schema=S, postgresql_where=sa.text("remaining > 0"))
    op.create_table(
        "point_entries",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("buyer_id", sa.BigInteger, nullable=False),
        sa.Column("order_no", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("detail", JSONB, nullable=False, server_default="{}"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_index("point_entries_buyer", "point_entries", ["buyer_id", "id"], schema=S)
    op.create_index("point_entries_order", "point_entries", ["order_no"], schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
