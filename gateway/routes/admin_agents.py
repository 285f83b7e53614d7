"""Admin: agents (issue 19, DESIGN §6): the tree, agent levels, markups and limits, signing keys,
wallets (finance books adjustments through the ledger, once per Idempotency-Key) and the review
of withdrawals. The account service validates, audits and decides; these routes check the HTTP
shape and call it."""

from werkzeug.wrappers import Response

from gateway import auth, schemas
from gateway.http import api, json_body, query_args
from gateway.routes import Routes
from services.common.errors import InvalidInput

ADMIN = {"tags": ["admin", "agents"], "roles": auth.AGENTS}
BOOKS = {"tags": ["admin", "agents"], "roles": auth.AGENT_BOOKS}
MONEY = {"tags": ["admin", "agents"], "roles": auth.MONEY}
ONE = "/api/v1/admin/agents/<int:agent_id>"
IDEMPOTENCY_KEY = ("Idempotency-Key", True, "required: the same key and body answer as the first time, once booked")


def required_idempotency_key(request):
    key = request.headers.get("Idempotency-Key")
    if key is None or not 1 <= len(key) <= 255:
        raise InvalidInput("the Idempotency-Key header (1 to 255 characters) is required", {})
    return key


def reviewed(gateway, request, withdrawal_id, approve):
    body = json_body(request, schemas.WithdrawalReview())
    answer = gateway.account_rpc.review_withdrawal(
        request.actor.audit, withdrawal_id, {"approve": approve, "note": body["note"]}
    )
    return schemas.Withdrawal().dump(answer)


class AdminAgentRoutes(Routes):
    @api(
        "POST",
        "/api/v1/admin/agents",
        summary="Add an agent: top-level, or under a parent agent (within the depth limit)",
        body=schemas.NewAgent,
        response=schemas.Agent,
        status=201,
        errors=(409,),
        **ADMIN,
    )
    def create_agent(self, request):
        new = json_body(request, schemas.NewAgent())
        return 201, schemas.Agent().dump(self.account_rpc.create_agent(request.actor.audit, new))

    @api("GET", "/api/v1/admin/agents", summary="Agents", query=schemas.AgentQuery, response=schemas.AgentList, **BOOKS)
    def list_agents(self, request):
        query = query_args(request, schemas.AgentQuery())
        return schemas.AgentList().dump({"items": self.account_rpc.list_agents(query.get("parent"))})

    @api("GET", ONE, summary="An agent, its wallet and pending commissions", response=schemas.Agent, **BOOKS)
    def get_agent(self, request, agent_id):
        return schemas.Agent().dump(self.account_rpc.get_agent(agent_id))

    @api(
        "PATCH",
        ONE,
        summary="Change an agent: status, level, IP allowlist, credit limit, its markup and its sub-agents' limits",
        body=schemas.AgentChanges,
        response=schemas.Agent,
        **ADMIN,
    )
    def change_agent(self, request, agent_id):
        changes = json_body(request, schemas.AgentChanges())
        return schemas.Agent().dump(self.account_rpc.change_agent(request.actor.audit, agent_id, changes))

    @api(
        "POST",
        ONE + "/keys",
        summary="Issue an open-API signing key (its secret is shown only in this answer)",
        response=schemas.NewAgentKey,
        status=201,
        **ADMIN,
    )
    def issue_agent_key(self, request, agent_id):
        return 201, schemas.NewAgentKey().dump(self.account_rpc.issue_agent_key(request.actor.audit, agent_id))

    @api("GET", ONE + "/keys", summary="An agent's signing keys", response=schemas.AgentKeys, **ADMIN)
    def list_agent_keys(self, request, agent_id):
        return schemas.AgentKeys().dump({"items": self.account_rpc.agent_keys(agent_id)})

    @api("DELETE", ONE + "/keys/<key_id>", summary="Revoke a signing key, for good", status=204, **ADMIN)
    def revoke_agent_key(self, request, agent_id, key_id):
        self.account_rpc.revoke_agent_key(request.actor.audit, agent_id, key_id[:64])
        return Response(status=204)

    @api(
        "POST",
        ONE + "/wallet",
        summary="Credit (positive) or debit (negative) an agent's wallet, booked through the ledger",
        body=schemas.WalletAdjustment,
        response=schemas.Wallet,
        errors=(409, 422),
        headers=(IDEMPOTENCY_KEY,),
        **MONEY,
    )
    def adjust_agent_wallet(self, request, agent_id):
        key = required_idempotency_key(request)
        body = json_body(request, schemas.WalletAdjustment())
        answer = self.account_rpc.adjust_agent_wallet(request.actor.audit, agent_id, body, key)
        return schemas.Wallet().dump(answer)

    @api(
        "GET",
        ONE + "/statement",
        summary="An agent's wallet statement, newest first",
        query=schemas.StatementQuery,
        response=schemas.Statement,
        **BOOKS,
    )
    def agent_statement(self, request, agent_id):
        query = query_args(request, schemas.StatementQuery())
        return schemas.Statement().dump(self.account_rpc.agent_statement(agent_id, query["limit"], query["before"]))

    @api("GET", ONE + "/commissions", summary="An agent's profit shares", response=schemas.Commissions, **BOOKS)
    def agent_commissions(self, request, agent_id):
        return schemas.Commissions().dump({"items": self.account_rpc.agent_commissions(agent_id)})

    @api("GET", "/api/v1/admin/agent-levels", summary="Agent levels", response=schemas.AgentLevelList, **BOOKS)
    def agent_levels(self, request):
        return schemas.AgentLevelList().dump({"items": self.account_rpc.agent_levels()})

    @api(
        "PUT",
        "/api/v1/admin/agent-levels/<name>",
        summary='Add or re-rank an agent level (its prices: the catalog\'s level "agent:<name>")',
        body=schemas.AgentLevelSet,
        response=schemas.AgentLevel,
        **ADMIN,
    )
    def put_agent_level(self, request, name):
        body = json_body(request, schemas.AgentLevelSet())
        level = {"name": name[:32], "rank": body["rank"]}
        return schemas.AgentLevel().dump(self.account_rpc.put_agent_level(request.actor.audit, level))

    @api(
        "DELETE",
        "/api/v1/admin/agent-levels/<name>",
        summary="Remove an agent level no agent has",
        status=204,
        errors=(409,),
        **ADMIN,
    )
    def delete_agent_level(self, request, name):
        self.account_rpc.delete_agent_level(request.actor.audit, name[:32])
        return Response(status=204)

    @api(
        "GET",
        "/api/v1/admin/agent-withdrawals",
        summary="Agents' withdrawal requests, newest first",
        query=schemas.WithdrawalQuery,
        response=schemas.WithdrawalList,
        **MONEY,
    )
    def agent_withdrawals(self, request):
        query = query_args(request, schemas.WithdrawalQuery())
        items = self.account_rpc.list_withdrawals(query.get("status"), query.get("agent_id"))
        return schemas.WithdrawalList().dump({"items": items})

    @api(
        "POST",
        "/api/v1/admin/agent-withdrawals/<int:withdrawal_id>/approve",
        summary="Approve a withdrawal: it is paid out",
        body=schemas.WithdrawalReview,
        response=schemas.Withdrawal,
        errors=(409,),
        **MONEY,
    )
    def approve_withdrawal(self, request, withdrawal_id):
        return reviewed(self, request, withdrawal_id, True)

    @api(
        "POST",
        "/api/v1/admin/agent-withdrawals/<int:withdrawal_id>/reject",
        summary="Reject a withdrawal: the money goes back to the wallet",
        body=schemas.WithdrawalReview,
        response=schemas.Withdrawal,
        errors=(409,),
        **MONEY,
    )
    def reject_withdrawal(self, request, withdrawal_id):
        return reviewed(self, request, withdrawal_id, False)
