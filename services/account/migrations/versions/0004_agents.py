"""account: agents (tree, levels, keys, nonces), the double-entry ledger, agent orders,
commissions, withdrawals. Merges the two 0003 heads."""

import sqlalchemy as sa
from alembic import op

revision = "0004_agents"
down_revision = ("0003_buyers", "0003_staff")

NOW = sa.func.now()
TS = sa.DateTime(timezone=True)
S = "account"

BALANCED = """
CREATE FUNCTION account.ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT coalesce(sum(amount), 0) FROM account.ledger_entries WHERE transaction_id = NEW.transaction_id) <> 0
  THEN
    RAISE EXCEPTION 'ledger transaction % does not balance', NEW.transaction_id USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON account.ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION account.ledger_transaction_balanced();
CREATE FUNCTION account.ledger_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are never changed or deleted' USING ERRCODE = '23514';
END $$;
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON account.ledger_entries
  FOR EACH ROW EXECUTE FUNCTION account.ledger_entries_immutable();
"""


def upgrade():
    op.create_table(
        "agent_levels",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        schema=S,
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("parent_id", sa.BigInteger, sa.ForeignKey("account.agents.id")),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("level", sa.Text, sa.ForeignKey("account.agent_levels.name"), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("ip_allowlist", sa.ARRAY(sa.Text)),
        sa.Column("markup_bp", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sub_markup_min_bp", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sub_markup_max_bp", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("status IN ('active', 'disabled')", name="agents_status"),
        sa.CheckConstraint("0 <= sub_markup_min_bp AND sub_markup_min_bp <= sub_markup_max_bp", name="agents_limits"),
        sa.CheckConstraint("markup_bp >= 0", name="agents_markup"),
        schema=S,
    )
    op.create_index("agents_parent", "agents", ["parent_id"], schema=S)
    op.create_table(
        "agent_keys",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("agent_id", sa.BigInteger, sa.ForeignKey("account.agents.id"), nullable=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("revoked_at", TS),
        schema=S,
    )
    op.create_index("agent_keys_agent", "agent_keys", ["agent_id"], schema=S)
    op.create_table(
        "agent_nonces",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("nonce", sa.Text, primary_key=True),
        sa.Column("seen_at", TS, nullable=False, server_default=NOW),
        schema=S,
    )
    op.create_index("agent_nonces_seen", "agent_nonces", ["seen_at"], schema=S)
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("code", sa.Text, nullable=False, unique=True),
        sa.Column("agent_id", sa.BigInteger, sa.ForeignKey("account.agents.id")),
        sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("floor", sa.BigInteger),
        sa.Column("currency", sa.Text, nullable=False, server_default="CNY"),
        schema=S,
    )
    op.create_index("ledger_accounts_agent", "ledger_accounts", ["agent_id"], schema=S)
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("idem_key", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("agent_id", sa.BigInteger),
        sa.Column("order_no", sa.Text),
        sa.Column("memo", sa.Text),
        sa.Column("request_hash", sa.Text),
        sa.Column("answer", sa.BigInteger),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        schema=S,
    )
    op.create_index("ledger_transactions_agent", "ledger_transactions", ["agent_id", "id"], schema=S)
    op.create_index("ledger_transactions_order", "ledger_transactions", ["order_no"], schema=S)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("transaction_id", sa.BigInteger, sa.ForeignKey("account.ledger_transactions.id"), nullable=False),
        sa.Column("account_id", sa.BigInteger, sa.ForeignKey("account.ledger_accounts.id"), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.CheckConstraint("amount <> 0", name="ledger_entries_nonzero"),
        schema=S,
    )
    op.create_index("ledger_entries_transaction", "ledger_entries", ["transaction_id"], schema=S)
    op.create_index("ledger_entries_account", "ledger_entries", ["account_id"], schema=S)
    op.execute(BALANCED)
    op.create_table(
        "agent_orders",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("agent_id", sa.BigInteger, sa.ForeignKey("account.agents.id"), nullable=False),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("top_unit_price", sa.BigInteger, nullable=False),
        sa.Column("unit_price", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="charged"),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("completed_at", TS),
        sa.Column("refunded_at", TS),
        schema=S,
    )
    op.create_index("agent_orders_agent", "agent_orders", ["agent_id"], schema=S)
    op.create_table(
        "commissions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("order_no", sa.Text, sa.ForeignKey("account.agent_orders.order_no"), nullable=False),
        sa.Column("agent_id", sa.BigInteger, sa.ForeignKey("account.agents.id"), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="held"),
        sa.Column("settle_after", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("order_no", "agent_id"),
        schema=S,
    )
    op.create_index("commissions_agent", "commissions", ["agent_id"], schema=S)
    op.create_index("commissions_settle", "commissions", ["settle_after"], schema=S)
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("agent_id", sa.BigInteger, sa.ForeignKey("account.agents.id"), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="requested"),
        sa.Column("note", sa.Text),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("reviewed_at", TS),
        sa.Column("reviewed_by", sa.Text),
        sa.CheckConstraint("amount > 0", name="withdrawals_positive"),
        schema=S,
    )
    op.create_index("withdrawals_agent", "withdrawals", ["agent_id"], schema=S)


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
