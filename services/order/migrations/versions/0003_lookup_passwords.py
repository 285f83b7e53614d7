"""order: query passwords chosen at checkout ("find my order" by contact + password)"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
S = "order"


def upgrade():
    op.create_table(
        "lookup_passwords",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("contact", sa.Text, nullable=False),  # normalised (trimmed, lower case)
        sa.Column("password_hash", sa.LargeBinary, nullable=False),  # scrypt, salted per contact
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_index("lookup_passwords_contact", "lookup_passwords", ["contact", "password_hash"], schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
