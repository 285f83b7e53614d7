"""catalog: a category can be archived (issue 23): kept with its history, hidden from the
storefront, and no product goes into it; archiving is refused while it or a category inside it
holds an active product."""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
S = "catalog"


def upgrade():
    op.add_column("categories", sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()), schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
