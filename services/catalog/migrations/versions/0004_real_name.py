"""catalog: categories whose orders need a buyer with real-name verification (issue 18)"""

import sqlalchemy as sa
from alembic import op

revision = "0004_real_name"
down_revision = "0003"


def upgrade():
    op.add_column(
        "categories",
        sa.Column("requires_real_name", sa.Boolean, nullable=False, server_default=sa.false()),
        schema="catalog",
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
