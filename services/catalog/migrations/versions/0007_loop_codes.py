"""catalog: loop codes (循环卡密, issue 24): a product whose code(s) every order gets

A product with delivery `loop` sells the same code(s) to every order: its codes stay `available`
(they are never reserved nor sold to one order), and `loop_deliveries` records which of them each
order was given, once per order and code. The delivery mode is fixed at creation, so a product's
codes are all single-sale or all loop codes: they never mix."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006_specs"
S = "catalog"


def upgrade():
    op.drop_constraint("delivery_kind", "products", schema=S)
    op.create_check_constraint(
        "delivery_kind", "products", "delivery IN ('card', 'loop', 'recharge', 'manual')", schema=S
    )
    op.create_table(
        "loop_deliveries",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("code_id", sa.BigInteger, sa.ForeignKey("catalog.codes.id"), primary_key=True),
        sa.Column("sku", sa.Text, sa.ForeignKey("catalog.products.sku"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_index("loop_deliveries_code", "loop_deliveries", ["code_id"], schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
