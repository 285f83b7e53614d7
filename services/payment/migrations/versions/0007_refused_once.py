"""payment: a refused notification is kept once, cut to a few KiB, with the SHA-256 of the whole
and how many times it came (an unauthenticated caller could otherwise store 1 MiB a request).

The table stays append-only for everything else: the rule that dropped every UPDATE (which
ON CONFLICT cannot work with) becomes a trigger that lets only `repeats` and `last_at` move."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
S = "payment"


def upgrade():
    op.add_column("notifications", sa.Column("sha256", sa.LargeBinary), schema=S)
    op.add_column("notifications", sa.Column("repeats", sa.Integer, nullable=False, server_default="1"), schema=S)
    op.add_column("notifications", sa.Column("last_at", sa.DateTime(timezone=True)), schema=S)
    op.create_index(
        "notifications_refused_once",
        "notifications",
        ["channel", "sha256"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("sha256 IS NOT NULL"),
    )
    op.execute("DROP RULE notifications_no_update ON payment.notifications")
    op.execute("""
        CREATE FUNCTION payment.notifications_only_count() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (NEW.id, NEW.channel, NEW.payment_no, NEW.raw, NEW.verified, NEW.outcome, NEW.received_at, NEW.sha256)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.channel, OLD.payment_no, OLD.raw, OLD.verified, OLD.outcome, OLD.received_at, OLD.sha256)
            THEN
                RETURN NEW;
            END IF;
            RETURN NULL;  -- as the rule did: any other change is silently not made
        END $$""")
    op.execute("""
        CREATE TRIGGER notifications_only_count BEFORE UPDATE ON payment.notifications
        FOR EACH ROW EXECUTE FUNCTION payment.notifications_only_count()""")
