"""catalog: the shop's own settings edited in the console (issue 23), one row per name: the
storefront's announcement (公告) first, plain text."""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
S = "catalog"


def upgrade():
    op.create_table(
        "shop_settings",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
