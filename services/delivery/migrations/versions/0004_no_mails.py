"""delivery: the completion e-mail moved to the notify service (notify.messages); its table goes"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade():
    op.drop_table("mails", schema="delivery")


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
