"""analytics: schema with its outbox, inbox and audit tables"""

from alembic import op

from services.common.migrate import create_infrastructure_tables

revision = "0001"
down_revision = None


def upgrade():
    create_infrastructure_tables(op, "analytics")


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
