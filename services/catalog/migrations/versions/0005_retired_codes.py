"""catalog: codes retired by support (issue 21): who retired a delivered code, when and why

A retired code keeps its order_no (the order it was delivered to) and is never sold again; the
order holds a fresh code in its place (services/catalog/domain/replace.py)."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = ("0004", "0004_real_name")
S = "catalog"


def upgrade():
    op.add_column("codes", sa.Column("retired_at", sa.DateTime(timezone=True)), schema=S)
    op.add_column("codes", sa.Column("retired_by", sa.Text), schema=S)
    op.add_column("codes", sa.Column("retired_reason", sa.Text), schema=S)
    op.drop_constraint("code_status", "codes", schema=S)
    op.create_check_constraint(
        "code_status", "codes", "status IN ('available', 'reserved', 'sold', 'retired')", schema=S
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
