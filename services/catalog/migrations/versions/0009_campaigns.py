"""catalog: timed campaigns (issue 22): a named weekly schedule with one discount over several
SKUs or a category; its discount is a promotion per SKU (promotions.campaign_id); each window
that starts is recorded once (campaign_windows), which writes the `campaign_started` event."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0009"
down_revision = "0008"
S = "catalog"


def upgrade():
    op.create_table(
        "campaigns",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("percent_off", sa.SmallInteger, nullable=False),
        sa.Column("weekdays", ARRAY(sa.SmallInteger), nullable=False),
        sa.Column("starts", sa.Time, nullable=False),
        sa.Column("ends", sa.Time, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False, server_default="Asia/Shanghai"),
        sa.Column("valid_from", sa.DateTime(timezone=True)),
        sa.Column("valid_until", sa.DateTime(timezone=True)),
        sa.Column("category", sa.Text),
        sa.Column("skus", ARRAY(sa.Text), nullable=False),
        sa.Column("notify", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("percent_off BETWEEN 1 AND 99", name="campaign_percent"),
        schema=S,
    )
    op.create_table(
        "campaign_windows",
        sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey(f"{S}.campaigns.id"), primary_key=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.add_column("promotions", sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey(f"{S}.campaigns.id")), schema=S)
    op.create_index("promotions_campaign", "promotions", ["campaign_id"], schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
