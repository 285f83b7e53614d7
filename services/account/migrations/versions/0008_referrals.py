"""account: referrals (issue 22): each buyer's referral code, who referred them (recorded at
sign-up, or bound once later) and the IP and device they signed up from (risk's self-referral
rule compares them); referral cashback is booked through the ledger, in buyers' wallets"""

import sqlalchemy as sa
from alembic import op

revision = "0008_referrals"
down_revision = "0007_campaign_mails"

S = "account"


def upgrade():
    op.add_column("buyers", sa.Column("referral_code", sa.Text, unique=True), schema=S)
    op.add_column("buyers", sa.Column("referred_by", sa.BigInteger), schema=S)
    op.add_column("buyers", sa.Column("referred_at", sa.DateTime(timezone=True)), schema=S)
    op.add_column("buyers", sa.Column("signup_ip", sa.Text), schema=S)
    op.add_column("buyers", sa.Column("signup_device", sa.Text), schema=S)
    op.create_index("buyers_referred_by", "buyers", ["referred_by"], schema=S)
    op.create_table(
        "referral_cashbacks",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("referrer_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("referred_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("reversed_at", sa.DateTime(timezone=True)),
        schema=S,
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
