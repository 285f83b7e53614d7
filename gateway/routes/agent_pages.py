"""The agent console (issue 19): an agent signs in with one of its API keys (key id + secret; the
account service checks it and starts a console session whose token rides in an HttpOnly cookie,
as a buyer's does) and sees its sales, commissions, sub-agents, links, sub-store settings and
wallet, asks for a withdrawal, and downloads its statement as CSV. Forms are validated here for
shape; every rule is the account service's."""

from marshmallow import ValidationError
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from gateway import csvout, pages, web
from gateway.http import client_ip
from gateway.routes import Routes
from gateway.schemas.agent_console import AgentSignInForm, StoreForm, SubAgentForm, WithdrawalForm
from gateway.web import Redirect, page
from services.common.errors import Conflict, InsufficientBalance, InvalidInput, Unauthorized
from services.common.money import format_minor

AGENT_COOKIE = "kameng_agent"
AGENT_COOKIE_S = 8 * 3600  # as long as the account service's console session (services/account/console.py)
TABS = ("overview", "sales", "commissions", "sub_agents", "links", "store")
STATEMENT_PAGES = 20  # a download holds at most 20 × 500 lines, newest first


def form_of(request, schema, names):
    return schema.load({k: request.form.get(k, "").strip()[:256] for k in names if k in request.form})


def problems(exc):
    """A form's field errors as {field: [message]}, from a ValidationError or an InvalidInput."""
    if isinstance(exc, ValidationError):
        return {k: v if isinstance(v, list) else [str(v)] for k, v in exc.normalized_messages().items()}
    return exc.details.get("fields", {}) or {"_": [exc.message]}


class AgentPageRoutes(Routes):
    def console_agent(self, request):
        """The signed-in agent (the account service's view of it), or a redirect to sign in."""
        token = web.cookie(request, self.config, AGENT_COOKIE)
        agent = self.account_rpc.agent_for_console(token) if token else None
        if agent is None:
            raise Redirect("/agent/sign-in")
        return agent

    def console_page(self, request, tab, status=200, **context):
        agent = context.pop("agent", None) or self.console_agent(request)
        return pages.render(
            request,
            "store/agent/console.html",
            status=status,
            agent=agent,
            tab=tab,
            tabs=TABS,
            errors=context.pop("errors", {}),
            done=request.args.get("done", "")[:32],
            **context,
        )

    @page("GET", "/agent/sign-in")
    def agent_sign_in_page(self, request):
        return pages.render(request, "store/agent/sign_in.html", message=None, key_id="")

    @page("POST", "/agent/sign-in")
    def agent_sign_in_form(self, request):
        self.limit("login", request)
        try:
            body = form_of(request, AgentSignInForm(), ("key_id", "secret"))
            answer = self.account_rpc.sign_in_agent(body, client_ip(request, self.config.get("TRUSTED_PROXIES", ())))
        except (ValidationError, InvalidInput, Unauthorized):
            key_id = request.form.get("key_id", "")[:64]
            return pages.render(
                request, "store/agent/sign_in.html", status=401, message="agent.sign_in_failed", key_id=key_id
            )
        response = redirect("/agent", code=303)
        web.set_cookie(response, self.config, AGENT_COOKIE, answer["session"], max_age=AGENT_COOKIE_S)
        return response

    @page("POST", "/agent/sign-out")
    def agent_sign_out_form(self, request):
        token = web.cookie(request, self.config, AGENT_COOKIE)
        if token:
            self.account_rpc.sign_out_agent(token)
        response = redirect("/agent/sign-in", code=303)
        web.clear_cookie(response, self.config, AGENT_COOKIE)
        return response

    @page("GET", "/agent")
    def agent_overview(self, request):
        agent = self.console_agent(request)
        withdrawals = self.account_rpc.list_withdrawals(None, agent["id"])
        return self.console_page(request, "overview", agent=agent, withdrawals=withdrawals)

    @page("POST", "/agent/withdrawals")
    def agent_withdrawal_form(self, request):
        agent = self.console_agent(request)
        try:
            amount = form_of(request, WithdrawalForm(), ("amount",))["amount"]
            self.account_rpc.request_withdrawal(agent["id"], amount)
        except (ValidationError, InvalidInput) as exc:
            withdrawals = self.account_rpc.list_withdrawals(None, agent["id"])
            return self.console_page(
                request, "overview", 400, agent=agent, withdrawals=withdrawals, errors=problems(exc)
            )
        except InsufficientBalance:
            withdrawals = self.account_rpc.list_withdrawals(None, agent["id"])
            errors = {"amount": ["agent.insufficient"]}
            return self.console_page(request, "overview", 409, agent=agent, withdrawals=withdrawals, errors=errors)
        return redirect("/agent?done=withdrawal", code=303)

    @page("GET", "/agent/sales")
    def agent_sales_page(self, request):
        agent = self.console_agent(request)
        return self.console_page(request, "sales", agent=agent, sales=self.account_rpc.agent_sales(agent["id"], 200))

    @page("GET", "/agent/commissions")
    def agent_commissions_page(self, request):
        agent = self.console_agent(request)
        lines = self.account_rpc.agent_commissions(agent["id"], 200)
        return self.console_page(request, "commissions", agent=agent, commissions=lines)

    def sub_agents_view(self, request, agent, status=200, errors=None, made=None):
        subs = self.account_rpc.agent_sub_agents(agent["id"])
        return self.console_page(request, "sub_agents", status, agent=agent, subs=subs, errors=errors or {}, made=made)

    @page("GET", "/agent/sub-agents")
    def agent_sub_agents_page(self, request):
        return self.sub_agents_view(request, self.console_agent(request))

    @page("POST", "/agent/sub-agents")
    def agent_sub_agent_form(self, request):
        agent = self.console_agent(request)
        try:
            new = form_of(request, SubAgentForm(), ("name", "contact", "markup_bp", "sub_markup_max_bp"))
            made = self.account_rpc.create_sub_agent(agent["id"], new)
        except (ValidationError, InvalidInput) as exc:
            return self.sub_agents_view(request, agent, 400, problems(exc))
        except Conflict:
            return self.sub_agents_view(request, agent, 409, {"_": ["agent.depth_limit"]})
        return self.sub_agents_view(request, agent, 201, made=made)

    @page("GET", "/agent/links")
    def agent_links_page(self, request):
        agent = self.console_agent(request)
        listing = self.catalog_rpc.list_products({"limit": 200, "agent_level": agent["top_level"]})["items"]
        asked = [{"sku": p["sku"], "unit_price": p["price"]} for p in listing]
        buying = {p["sku"]: p["unit_price"] for p in self.account_rpc.agent_prices(agent["id"], asked)}
        retail = {p["sku"]: p["unit_price"] for p in self.account_rpc.agent_store_prices(agent["id"], asked)}
        base = str(self.config.get("PUBLIC_URL", "")).rstrip("/")
        links = [
            {
                "sku": p["sku"],
                "name": p["name"],
                "buying": buying.get(p["sku"], p["price"]),
                "retail": retail.get(p["sku"], p["price"]),
                "url": f"{base}/products/{p['sku']}?agent={agent['id']}",
            }
            for p in listing
        ]
        return self.console_page(request, "links", agent=agent, links=links, base=base)

    @page("GET", "/agent/store")
    def agent_store_page(self, request):
        return self.console_page(request, "store")

    @page("POST", "/agent/store")
    def agent_store_form(self, request):
        agent = self.console_agent(request)
        try:
            changes = form_of(request, StoreForm(), ("store_name", "slug", "retail_markup_bp", "markup_bp"))
            self.account_rpc.change_agent_store(agent["id"], {**changes, "slug": changes["slug"] or None})
        except (ValidationError, InvalidInput) as exc:
            return self.console_page(request, "store", 400, agent=agent, errors=problems(exc))
        except Conflict:
            return self.console_page(request, "store", 409, agent=agent, errors={"slug": ["agent.slug_taken"]})
        return redirect("/agent/store?done=store", code=303)

    @page("GET", "/agent/statement.csv")
    def agent_statement_csv(self, request):
        agent = self.console_agent(request)
        lines, before = [], None
        for _ in range(STATEMENT_PAGES):
            answer = self.account_rpc.agent_statement(agent["id"], 500, before)
            lines += answer["items"]
            before = answer["next_before"]
            if before is None:
                break
        header = ["id", "created_at", "kind", "order_no", "memo", "amount", "balance"]
        rows = [
            [
                line["id"],
                line["created_at"],
                line["kind"],
                line["order_no"],
                line["memo"],
                format_minor(line["amount"]),
                format_minor(line["balance"]),
            ]
            for line in lines
        ]
        response = Response(csvout.render(header, rows, numeric=(5, 6)), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="statement-agent-{agent["id"]}.csv"'
        response.headers["Cache-Control"] = "no-store"
        return response
