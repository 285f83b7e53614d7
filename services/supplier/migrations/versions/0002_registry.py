"""supplier: the registry (suppliers, their keys and nonces), sourcing per SKU, pushed batches"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"

NOW = sa.func.now()


def upgrade():
    op.create_table(
        "suppliers",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("documents", JSONB, nullable=False, server_default="[]"),
        sa.Column("valid_until", sa.Date),
        sa.Column("reviewer", sa.Text),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("adapter", sa.Text),
        sa.Column("base_url", sa.Text),
        sa.Column("settings", JSONB, nullable=False, server_default="{}"),
        sa.Column("credentials", sa.LargeBinary),
        sa.Column("circuit", sa.Text, nullable=False, server_default="closed"),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("status IN ('pending', 'approved', 'suspended')", name="suppliers_status"),
        sa.CheckConstraint("NOT enabled OR status = 'approved'", name="suppliers_enabled_only_approved"),
        sa.CheckConstraint("circuit IN ('closed', 'open', 'half_open')", name="suppliers_circuit"),
        schema="supplier",
    )
    op.create_table(
        "keys",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("supplier_id", sa.BigInteger, sa.ForeignKey("supplier.suppliers.id"), nullable=False, index=True),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        schema="supplier",
    )
    op.create_table(
        "nonces",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("nonce", sa.Text, primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW, index=True),
        schema="supplier",
    )
    op.create_table(
        "sourcing",
        sa.Column("supplier_id", sa.BigInteger, sa.ForeignKey("supplier.suppliers.id"), primary_key=True),
        sa.Column("sku", sa.Text, primary_key=True, index=True),
        sa.Column("supplier_product_id", sa.Text, nullable=False),
        sa.Column("cost_price", sa.BigInteger, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False, server_default="100"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("hourly_cap", sa.BigInteger),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("cost_price >= 0", name="sourcing_cost_not_negative"),
        sa.CheckConstraint("hourly_cap IS NULL OR hourly_cap >= 0", name="sourcing_cap_not_negative"),
        schema="supplier",
    )
    op.create_table(
        "batches",
        sa.Column("supplier_id", sa.BigInteger, sa.ForeignKey("supplier.suppliers.id"), primary_key=True),
        sa.Column("batch_id", sa.Text, primary_key=True),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("body_hash", sa.Text, nullable=False),
        sa.Column("lines", sa.Integer, nullable=False),
        sa.Column("stock", sa.BigInteger),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("imported", sa.Integer, nullable=False, server_default="0"),
        sa.Column("duplicates", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rejected", JSONB, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('codes', 'stock')", name="batches_kind"),
        sa.CheckConstraint("status IN ('pending', 'done')", name="batches_status"),
        schema="supplier",
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
