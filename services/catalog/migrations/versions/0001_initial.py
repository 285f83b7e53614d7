"""catalog: categories, products, outbox, inbox, audit"""

import sqlalchemy as sa
from alembic import op

from services.common.migrate import create_infrastructure_tables

revision = "0001"
down_revision = None
SCHEMA = "catalog"


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("parent_id", sa.BigInteger, sa.ForeignKey("catalog.categories.id")),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
        schema=SCHEMA,
    )
    op.create_table(
        "products",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("category_id", sa.BigInteger, sa.ForeignKey("catalog.categories.id"), nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False, server_default="CNY"),
        sa.Column("delivery", sa.Text, nullable=False),
        sa.Column("min_quantity", sa.Integer, nullable=False, server_default="1"),
        sa.Column("max_quantity", sa.Integer, nullable=False, server_default="10"),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("low_stock_threshold", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint("delivery IN ('card', 'recharge', 'manual')", name="delivery_kind"),
        sa.CheckConstraint("1 <= min_quantity AND min_quantity <= max_quantity", name="quantity_bounds"),
        schema=SCHEMA,
    )
    op.create_index("products_category", "products", ["category_id"], schema=SCHEMA)
    create_infrastructure_tables(op, SCHEMA)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
