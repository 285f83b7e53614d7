"""The agent console (issue 19): an agent signs in with one of its live API keys (the key id and
its secret, as its shop signs with them) and gets a console session (services/account/sessions.py,
kind "agent"); revoking any of its keys, or disabling it or an agent above it, ends that. In the
console it reads its sales, commissions and statement, creates sub-agents within its own depth
and markup limits, and sets its markup and its sub-store (name, slug, retail markup).

Sub-store prices: a buyer in an agent's sub-store pays the agent's buying unit price plus its
`retail_markup_bp`, half up to the fen (agents.sell_price), per unit."""

import hmac
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.account import agents, sessions
from services.account.models import Agent, AgentKey, AgentOrder
from services.common.crypto import DataKeys
from services.common.errors import Conflict, InvalidInput, NotFound, Unauthorized

SESSION_S = 8 * 3600
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")


def who(agent_id: int) -> str:
    """The actor an agent's own changes are audited as."""
    return f"agent:{agent_id}"


def active_line(session: Session, agent_id: int) -> list[Agent]:
    line = agents.chain(session, agent_id)
    if any(a.status != "active" for a in line):
        raise Unauthorized("this agent is disabled")
    return line


def sign_in(session: Session, keys: DataKeys, key_id: str, secret: str, ip: str | None) -> dict[str, Any]:
    """A console session for the agent whose live key this is; 401 (one wording) for anything else."""
    key = session.get(AgentKey, key_id)
    if key is None or key.revoked_at is not None:
        raise Unauthorized("wrong key id or secret")
    if not hmac.compare_digest(keys.decrypt(key.secret).encode(), secret.encode()):
        raise Unauthorized("wrong key id or secret")
    agent = active_line(session, key.agent_id)[-1]
    return {"session": sessions.start(session, "agent", agent, SESSION_S, ip), "agent_id": agent.id}


def current(session: Session, token: str) -> dict[str, Any] | None:
    """The signed-in agent (agents.view), or None: no such session, or it or a parent disabled."""
    live = sessions.resolve(session, token, "agent")
    if live is None:
        return None
    line = agents.chain(session, live.subject_id)
    if any(a.status != "active" for a in line):
        return None
    return agents.view(session, line[-1])


def sales(session: Session, agent_id: int, limit: int) -> list[dict[str, Any]]:
    """The agent's own orders as the ledger knows them, newest first."""
    rows = session.scalars(
        select(AgentOrder)
        .where(AgentOrder.agent_id == agent_id)
        .order_by(AgentOrder.created_at.desc(), AgentOrder.order_no.desc())
        .limit(limit)
    )
    return [
        {
            "order_no": o.order_no,
            "sku": o.sku,
            "quantity": o.quantity,
            "unit_price": o.unit_price,
            "amount": o.amount,
            "currency": o.currency,
            "status": o.status,
            "kind": o.kind,  # wallet: its own order; retail: a buyer's in its sub-store or through its link
            "created_at": agents.stamp(o.created_at),
        }
        for o in rows
    ]


def create_sub_agent(
    session: Session, keys: DataKeys, agent_id: int, new: dict[str, Any], max_depth: int
) -> dict[str, Any]:
    """A sub-agent of this agent at its level, with a markup within this agent's limits and limits
    for its own sub-agents no wider than this agent's; with its first key (the secret shown once)."""
    parent = active_line(session, agent_id)[-1]
    if not parent.sub_markup_min_bp <= new["markup_bp"] <= parent.sub_markup_max_bp:
        raise InvalidInput(
            "the markup is outside what you allow",
            {"fields": {"markup_bp": [f"{parent.sub_markup_min_bp}..{parent.sub_markup_max_bp}"]}},
        )
    if new["sub_markup_max_bp"] > parent.sub_markup_max_bp:
        raise InvalidInput(
            "sub-agents may not allow more than you may",
            {"fields": {"sub_markup_max_bp": [f"0..{parent.sub_markup_max_bp}"]}},
        )
    made = agents.create(
        session,
        who(agent_id),
        {"name": new["name"], "contact": new["contact"], "parent": agent_id, "level": parent.level},
        max_depth,
    )
    child = session.get(Agent, made["id"])
    assert child is not None
    child.markup_bp, child.sub_markup_max_bp = new["markup_bp"], new["sub_markup_max_bp"]
    key = agents.issue_key(session, keys, who(agent_id), child.id)
    session.flush()
    return {"agent": agents.view(session, child), "key": key}


def sub_agents(session: Session, agent_id: int) -> list[dict[str, Any]]:
    return agents.listing(session, agent_id)


def change_store(session: Session, agent_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """The agent's own settings: markup_bp (within its parent's limits), store_name, slug,
    retail_markup_bp."""
    active_line(session, agent_id)
    slug = changes.get("slug")
    if slug:
        if not SLUG.match(slug):
            raise InvalidInput("a slug is 2-32 of a-z 0-9 -", {"fields": {"slug": ["a-z 0-9 -, 2-32"]}})
        taken = session.scalar(select(Agent.id).where(Agent.slug == slug, Agent.id != agent_id))
        if taken is not None:
            raise Conflict("this slug is taken", {"slug": slug})
    agent = session.get(Agent, agent_id, with_for_update=True)
    assert agent is not None
    if "store_name" in changes:
        agent.store_name = (changes["store_name"] or "").strip() or None
    if "retail_markup_bp" in changes:
        agent.retail_markup_bp = changes["retail_markup_bp"]
    if "slug" in changes:
        agent.slug = slug or None
    if "markup_bp" in changes:
        return agents.change(session, who(agent_id), agent_id, {"markup_bp": changes["markup_bp"]})
    session.flush()
    return agents.view(session, agent)


def store(session: Session, slug: str) -> dict[str, Any]:
    """The sub-store at /s/<slug>/ (404 for none, or a disabled agent's)."""
    return storefront(session, session.scalar(select(Agent).where(Agent.slug == slug)))


def store_of(session: Session, agent_id: int) -> dict[str, Any]:
    """The agent selling through its buy links (/products/<sku>?agent=<id>), as `store` answers
    (404 for no such agent, or a disabled one)."""
    return storefront(session, session.get(Agent, agent_id))


def storefront(session: Session, agent: Agent | None) -> dict[str, Any]:
    if agent is None:
        raise NotFound("no such store", {})
    line = agents.chain(session, agent.id)
    if any(a.status != "active" for a in line):
        raise NotFound("no such store", {})
    return {
        "agent_id": agent.id,
        "name": agent.store_name or agent.name,
        "slug": agent.slug,
        "top_level": line[0].level,
        "retail_markup_bp": agent.retail_markup_bp,
    }


def store_prices(session: Session, agent_id: int, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buyers' unit prices in this agent's sub-store, given the top agent's buying unit prices."""
    line = agents.chain(session, agent_id)
    markup = line[-1].retail_markup_bp
    return [
        {"sku": i["sku"], "unit_price": agents.sell_price(agents.unit_prices(line, int(i["unit_price"]))[-1], markup)}
        for i in items
    ]
