"""catalog: coupons (issue 22): 满减 (an amount off above a threshold) or a percentage off with a
cap, for a SKU, a category or everything, within dates, with total and per-buyer limits; and one
redemption row per order that used one (services/catalog/domain/coupons.py).

`redeemed` counts the live redemptions: it moves in the transaction that reserves (or releases)
the order's stock, under the coupon's row lock, so a single-use code goes to one order only."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
S = "catalog"


def upgrade():
    op.create_table(
        "coupons",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("code", sa.Text, nullable=False, unique=True),  # upper case
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),  # amount | percent
        sa.Column("amount_off", sa.BigInteger),  # fen, kind amount
        sa.Column("percent_off", sa.SmallInteger),  # kind percent
        sa.Column("max_off", sa.BigInteger),  # fen, the cap of a percentage (optional)
        sa.Column("min_total", sa.BigInteger, nullable=False, server_default="0"),  # fen, the threshold
        sa.Column("scope", sa.Text, nullable=False, server_default="all"),  # all | sku | category
        sa.Column("scope_value", sa.Text),  # the SKU or the category's name
        sa.Column("valid_from", sa.DateTime(timezone=True)),
        sa.Column("valid_until", sa.DateTime(timezone=True)),
        sa.Column("single_use", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("total_limit", sa.Integer),
        sa.Column("per_buyer_limit", sa.Integer),
        sa.Column("redeemed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('amount', 'percent')", name="coupon_kind"),
        sa.CheckConstraint(
            "(kind = 'amount' AND amount_off > 0 AND percent_off IS NULL AND max_off IS NULL)"
            " OR (kind = 'percent' AND percent_off BETWEEN 1 AND 100 AND amount_off IS NULL)",
            name="coupon_discount",
        ),
        sa.CheckConstraint("scope IN ('all', 'sku', 'category')", name="coupon_scope"),
        sa.CheckConstraint("(scope = 'all') = (scope_value IS NULL)", name="coupon_scope_value"),
        sa.CheckConstraint("redeemed >= 0", name="coupon_redeemed"),
        schema=S,
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("coupon_id", sa.BigInteger, sa.ForeignKey(f"{S}.coupons.id"), nullable=False),
        sa.Column("buyer", sa.Text, nullable=False),  # member:<id> or email:<contact, lower case>
        sa.Column("discount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="redeemed"),  # redeemed | released
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('redeemed', 'released')", name="redemption_status"),
        schema=S,
    )
    op.create_index(
        "coupon_redemptions_buyer",
        "coupon_redemptions",
        ["coupon_id", "buyer"],
        schema=S,
        postgresql_where=sa.text("status = 'redeemed'"),
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
