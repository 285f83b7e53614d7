"""catalog: a product's picture (issue 23): checked and resized by the gateway, kept here as
bytes (bytea) with its type; products.image_version names the current one (a hash), so its URL
changes with it and browsers may keep it for long."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
S = "catalog"


def upgrade():
    op.create_table(
        "product_images",
        sa.Column("sku", sa.Text, sa.ForeignKey(f"{S}.products.sku"), primary_key=True),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')", name="image_type"),
        schema=S,
    )
    op.add_column("products", sa.Column("image_version", sa.Text), schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
