"""catalog: what each upstream supplier reports it holds of a counted SKU, and whether it counts"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
S = "catalog"


def upgrade():
    # a supplier as the catalog sees it: whether its levels count now (supplier_availability_changed)
    op.create_table(
        "suppliers",
        sa.Column("supplier_id", sa.BigInteger, primary_key=True),
        sa.Column("usable", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    # each supplier's last reported level per SKU (inventory_pushed with a stock level)
    op.create_table(
        "supplier_levels",
        sa.Column("supplier_id", sa.BigInteger, sa.ForeignKey("catalog.suppliers.supplier_id"), primary_key=True),
        sa.Column("sku", sa.Text, sa.ForeignKey("catalog.products.sku"), primary_key=True),
        sa.Column("level", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("batch_id", sa.Text),
        sa.Column("reported_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("level >= 0", name="level_not_negative"),
        schema=S,
    )
    op.create_index("supplier_levels_sku", "supplier_levels", ["sku"], schema=S)
