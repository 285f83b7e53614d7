"""risk: versioned rule sets, black/allow lists, known contacts, review columns on decisions"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import CIDR, JSONB

revision = "0003"
down_revision = "0002"


def upgrade():
    for column in (
        sa.Column("rules_version", sa.Integer),
        sa.Column("hold_until", sa.DateTime(timezone=True)),
        sa.Column("resolution", sa.Text),
        sa.Column("reviewed_by", sa.Text),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("note", sa.Text),
    ):
        op.add_column("decisions", column, schema="risk")
    op.create_index(
        "decisions_open_reviews",
        "decisions",
        ["hold_until"],
        schema="risk",
        postgresql_where=sa.text("outcome = 'review' AND resolution IS NULL"),
    )
    op.create_table(
        "rule_sets",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("rules", JSONB, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="risk",
    )
    op.create_table(
        "lists",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("list", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("network", CIDR),
        sa.Column("note", sa.Text),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("list", "kind", "value"),
        schema="risk",
    )
    op.create_index(
        "lists_networks",
        "lists",
        ["network"],
        schema="risk",
        postgresql_using="gist",
        postgresql_ops={"network": "inet_ops"},
        postgresql_where=sa.text("network IS NOT NULL"),
    )
    op.create_table(
        "known_contacts",
        sa.Column("contact", sa.Text, primary_key=True),
        sa.Column("first_paid_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="risk",
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
