"""catalog: stock levels, level prices, promotions, encrypted codes, reservations, imports"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
S = "catalog"


def upgrade():
    op.create_table(
        "stock_levels",
        sa.Column("sku", sa.Text, sa.ForeignKey("catalog.products.sku"), primary_key=True),
        sa.Column("counted", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("available", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("reserved", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("sold", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint("available >= 0 AND reserved >= 0 AND sold >= 0", name="never_negative"),
        schema=S,
    )
    op.execute("INSERT INTO catalog.stock_levels (sku, counted) SELECT sku, delivery = 'card' FROM catalog.products")
    op.create_table(
        "level_prices",
        sa.Column("sku", sa.Text, sa.ForeignKey("catalog.products.sku"), primary_key=True),
        sa.Column("level", sa.Text, primary_key=True),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        schema=S,
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("sku", sa.Text, sa.ForeignKey("catalog.products.sku"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("percent_off", sa.SmallInteger),
        sa.Column("price", sa.BigInteger),
        sa.Column("weekdays", sa.ARRAY(sa.SmallInteger), nullable=False),
        sa.Column("starts", sa.Time, nullable=False),
        sa.Column("ends", sa.Time, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False, server_default="Asia/Shanghai"),
        sa.Column("valid_from", sa.DateTime(timezone=True)),
        sa.Column("valid_until", sa.DateTime(timezone=True)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("(percent_off IS NULL) <> (price IS NULL)", name="one_discount"),
        sa.CheckConstraint("percent_off BETWEEN 1 AND 99", name="percent_range"),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        schema=S,
    )
    op.create_index("promotions_sku", "promotions", ["sku"], schema=S)
    op.create_table(
        "codes",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("sku", sa.Text, sa.ForeignKey("catalog.products.sku"), nullable=False),
        sa.Column("code", sa.LargeBinary, nullable=False),
        sa.Column("secret", sa.LargeBinary),
        sa.Column("expires_on", sa.Date),
        sa.Column("code_hash", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="available"),
        sa.Column("order_no", sa.Text),
        sa.Column("import_id", UUID(as_uuid=False)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sold_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("sku", "code_hash", name="codes_unique_per_sku"),
        sa.CheckConstraint("status IN ('available', 'reserved', 'sold')", name="code_status"),
        sa.CheckConstraint("(status = 'available') = (order_no IS NULL)", name="owned_unless_available"),
        schema=S,
    )
    op.create_index(
        "codes_available", "codes", ["sku", "id"], schema=S, postgresql_where=sa.text("status = 'available'")
    )
    op.create_index("codes_order", "codes", ["order_no"], schema=S, postgresql_where=sa.text("order_no IS NOT NULL"))
    op.create_table(
        "reservations",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("sku", sa.Text, sa.ForeignKey("catalog.products.sku"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('held', 'released', 'committed')", name="reservation_status"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        schema=S,
    )
    op.create_index(
        "reservations_expiring", "reservations", ["expires_at"], schema=S, postgresql_where=sa.text("status = 'held'")
    )
    op.create_table(
        "code_imports",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("sku", sa.Text, sa.ForeignKey("catalog.products.sku"), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="staging"),
        sa.Column("staged", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("imported", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("duplicates", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("rejected", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("notes", JSONB, nullable=False, server_default="{}"),
        schema=S,
    )
    # staging rows of imports in progress: unlogged (fast; lost on a crash, like the request)
    op.execute("""
        CREATE UNLOGGED TABLE catalog.code_import_lines (
            import_id uuid NOT NULL,
            line_no bigint NOT NULL,
            code bytea NOT NULL,
            secret bytea,
            expires_on date,
            code_hash bytea NOT NULL)""")
    op.create_index("code_import_lines_import", "code_import_lines", ["import_id"], schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
