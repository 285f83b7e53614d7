"""account: the agent console and sub-stores (issue 19): an agent's console sessions end when its
`credential_version` moves on (a key revoked); its sub-store's name, slug and retail markup."""

import sqlalchemy as sa
from alembic import op

revision = "0005_agent_console"
down_revision = "0004_agents"

S = "account"


def upgrade():
    op.add_column("agents", sa.Column("credential_version", sa.Integer, nullable=False, server_default="1"), schema=S)
    op.add_column("agents", sa.Column("store_name", sa.Text), schema=S)
    op.add_column("agents", sa.Column("slug", sa.Text), schema=S)
    op.add_column("agents", sa.Column("retail_markup_bp", sa.Integer, nullable=False, server_default="0"), schema=S)
    op.create_index("agents_slug", "agents", ["slug"], unique=True, schema=S)
    op.drop_constraint("sessions_kind", "sessions", schema=S)
    op.create_check_constraint("sessions_kind", "sessions", "kind IN ('buyer', 'staff', 'agent')", schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
