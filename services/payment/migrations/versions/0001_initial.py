"""payment: schema with its outbox and inbox"""
from alembic import op

from services.common.migrate import create_outbox_and_inbox

revision = "0001"
down_revision = None


def upgrade():
    create_outbox_and_inbox(op, "payment")


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
