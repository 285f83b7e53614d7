"""catalog: multi-spec products and wholesale tiers (issue 24)

A product group (one product page) holds several specs, each a SKU with its own stock and price
(`products.group_id`, `products.spec_label`); a SKU may carry wholesale tiers: from
`min_quantity` units on, each unit costs `price` (services/catalog/domain/pricing.py)."""

import sqlalchemy as sa
from alembic import op

revision = "0006_specs"
down_revision = "0005"
S = "catalog"


def upgrade():
    op.create_table(
        "product_groups",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.add_column("products", sa.Column("group_id", sa.BigInteger, sa.ForeignKey(f"{S}.product_groups.id")), schema=S)
    op.add_column("products", sa.Column("spec_label", sa.Text), schema=S)
    op.create_index(
        "products_group", "products", ["group_id"], schema=S, postgresql_where=sa.text("group_id IS NOT NULL")
    )
    op.create_table(
        "wholesale_tiers",
        sa.Column("sku", sa.Text, sa.ForeignKey(f"{S}.products.sku"), primary_key=True),
        sa.Column("min_quantity", sa.Integer, primary_key=True),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.CheckConstraint("min_quantity >= 2", name="tier_from_two"),
        sa.CheckConstraint("price >= 0", name="tier_price_not_negative"),
        schema=S,
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
