"""catalog: the recorded key of the duplicate-code hash, and which key made each code's hash

The key itself is recorded by the catalog service when it first starts (it needs the data keys,
which migrations do not have); codes imported before carry no key id until then
(services/catalog/domain/hash_keys.py)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
S = "catalog"


def upgrade():
    op.create_table(
        "hash_keys",
        sa.Column("id", sa.Text, primary_key=True),  # hex of 4 bytes of the key's SHA-256
        sa.Column("secret", sa.LargeBinary, nullable=False),  # the key, encrypted with the data keys
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.add_column("codes", sa.Column("hash_key", sa.Text), schema=S)
