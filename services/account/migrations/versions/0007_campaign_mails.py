"""account: a member's opt-in to the mails that say a campaign has started (issue 22)"""

import sqlalchemy as sa
from alembic import op

revision = "0007_campaign_mails"
down_revision = "0006_retail_sales"


def upgrade():
    op.add_column(
        "buyers", sa.Column("campaign_mails", sa.Boolean, nullable=False, server_default="false"), schema="account"
    )
    op.create_index(
        "buyers_campaign_mails", "buyers", ["id"], schema="account", postgresql_where=sa.text("campaign_mails")
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
