"""Agents (issue 19): the tree (any depth up to a configurable limit), agent levels (a list apart
from member levels; their prices are the catalog's level "agent:<name>"), markups, keys and the
signed caller behind an open-API request.

Pricing rule (exact to the fen): a top-level agent buys at its level's price (the catalog's; the
caller passes it in as `top_unit_price`). Every agent sells to its sub-agents at its own buying
unit price plus its markup, `markup_bp` basis points of that price rounded half up to the fen:
    sell = buy + (buy * markup_bp + 5000) // 10000
so a sub-agent's buying unit price is its parent's selling price, computed per unit down the
chain from the root; an order's amount is the unit price × quantity. An agent's markup lies within
the limits its parent allows (`sub_markup_min_bp`..`sub_markup_max_bp`; for a top-level agent
0..MAX_MARKUP_BP)."""

import ipaddress
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.account import ledger
from services.account.models import Agent, AgentKey, AgentLevel, AgentNonce
from services.common import audit, keyring, signing
from services.common.crypto import DataKeys
from services.common.envelope import isoformat
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound

RING = keyring.Ring(AgentKey, AgentNonce, "agent_id", "ak_")
MAX_MARKUP_BP = 100_000  # 1000 %: the platform's own limit for top-level agents
CURRENCY = "CNY"


def stamp(moment: datetime | None) -> str | None:
    return None if moment is None else isoformat(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def sell_price(buy: int, markup_bp: int) -> int:
    """The unit price an agent sells at to its sub-agents: half up to the fen."""
    return buy + (buy * markup_bp + 5000) // 10000


def chain(session: Session, agent_id: int) -> list[Agent]:
    """The agent's line from the root down to itself."""
    line: list[Agent] = []
    found = session.get(Agent, agent_id)
    if found is None:
        raise NotFound("no such agent", {"id": agent_id})
    agent: Agent | None = found
    while agent is not None:
        line.append(agent)
        agent = session.get(Agent, agent.parent_id) if agent.parent_id is not None else None
    return line[::-1]


def unit_prices(line: list[Agent], top_unit_price: int) -> list[int]:
    """Each agent's buying unit price along a chain from the root (the root's is the catalog's)."""
    prices = [top_unit_price]
    for agent in line[:-1]:
        prices.append(sell_price(prices[-1], agent.markup_bp))
    return prices


def prices(session: Session, agent_id: int, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    line = chain(session, agent_id)
    return [{"sku": i["sku"], "unit_price": unit_prices(line, int(i["unit_price"]))[-1]} for i in items]


def view(session: Session, agent: Agent) -> dict[str, Any]:
    line = chain(session, agent.id)
    return {
        "id": agent.id,
        "name": agent.name,
        "contact": agent.contact,
        "parent": agent.parent_id,
        "level": agent.level,
        "top_level": line[0].level,
        "depth": agent.depth,
        "status": agent.status,
        "ip_allowlist": agent.ip_allowlist or [],
        "markup_bp": agent.markup_bp,
        "sub_markup_min_bp": agent.sub_markup_min_bp,
        "sub_markup_max_bp": agent.sub_markup_max_bp,
        "balance": ledger.balance(session, ledger.wallet(agent.id)),
        "pending": ledger.balance(session, ledger.pending(agent.id)),
        "currency": CURRENCY,
        "created_at": stamp(agent.created_at),
        "store_name": agent.store_name,
        "slug": agent.slug,
        "retail_markup_bp": agent.retail_markup_bp,
    }


def create(session: Session, actor: str, new: dict[str, Any], max_depth: int) -> dict[str, Any]:
    if session.get(AgentLevel, new["level"]) is None:
        raise InvalidInput("no such agent level", {"level": new["level"]})
    depth = 1
    if new.get("parent") is not None:
        parent = session.get(Agent, new["parent"])
        if parent is None:
            raise InvalidInput("no such parent agent", {"parent": new["parent"]})
        depth = parent.depth + 1
        if depth > max_depth:
            raise Conflict("the agent tree is at its depth limit here", {"max_depth": max_depth})
    agent = Agent(
        name=new["name"], contact=new["contact"], parent_id=new.get("parent"), level=new["level"], depth=depth
    )
    session.add(agent)
    session.flush()
    ledger.account(session, ledger.wallet(agent.id), agent.id)
    audit.record(session, actor, "agent.created", str(agent.id), {"parent": agent.parent_id, "level": agent.level})
    return view(session, agent)


def get(session: Session, agent_id: int) -> dict[str, Any]:
    return view(session, chain(session, agent_id)[-1])


def listing(session: Session, parent: int | None = None) -> list[dict[str, Any]]:
    query = select(Agent).order_by(Agent.id)
    if parent is not None:
        query = query.where(Agent.parent_id == parent)
    return [view(session, a) for a in session.scalars(query)]


def change(session: Session, actor: str, agent_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """status, level, ip_allowlist, credit_limit, markup_bp, sub_markup_min_bp, sub_markup_max_bp."""
    agent = session.get(Agent, agent_id, with_for_update=True)
    if agent is None:
        raise NotFound("no such agent", {"id": agent_id})
    if "level" in changes and session.get(AgentLevel, changes["level"]) is None:
        raise InvalidInput("no such agent level", {"level": changes["level"]})
    for name in ("status", "level", "ip_allowlist", "markup_bp", "sub_markup_min_bp", "sub_markup_max_bp"):
        if name in changes:
            setattr(agent, name, changes[name])
    if agent.sub_markup_min_bp > agent.sub_markup_max_bp:
        raise InvalidInput("sub_markup_min_bp is above sub_markup_max_bp", {})
    parent = session.get(Agent, agent.parent_id) if agent.parent_id is not None else None
    low, high = (parent.sub_markup_min_bp, parent.sub_markup_max_bp) if parent else (0, MAX_MARKUP_BP)
    if not low <= agent.markup_bp <= high:
        raise InvalidInput("the markup is outside what the parent allows", {"min_bp": low, "max_bp": high})
    if "credit_limit" in changes:
        ledger.set_floor(session, agent.id, changes["credit_limit"])
    audit.record(session, actor, "agent.changed", str(agent.id), dict(changes))
    session.flush()
    return view(session, agent)


# -- agent levels --------------------------------------------------------------------------


def levels(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(AgentLevel).order_by(AgentLevel.rank, AgentLevel.name))
    return [{"name": lv.name, "rank": lv.rank, "price_level": f"agent:{lv.name}"} for lv in rows]


def put_level(session: Session, actor: str, name: str, rank: int) -> dict[str, Any]:
    level = session.get(AgentLevel, name)
    if level is None:
        session.add(AgentLevel(name=name, rank=rank))
    else:
        level.rank = rank
    audit.record(session, actor, "agent_level.put", name, {"rank": rank})
    return {"name": name, "rank": rank, "price_level": f"agent:{name}"}


def remove_level(session: Session, actor: str, name: str) -> None:
    level = session.get(AgentLevel, name)
    if level is None:
        raise NotFound("no such agent level", {"name": name})
    if session.scalar(select(Agent.id).where(Agent.level == name).limit(1)) is not None:
        raise Conflict("agents still have this level", {"name": name})
    session.delete(level)
    audit.record(session, actor, "agent_level.removed", name, {})


# -- keys and the signed caller ------------------------------------------------------------


def issue_key(session: Session, keys: DataKeys, actor: str, agent_id: int) -> dict[str, str]:
    if session.get(Agent, agent_id) is None:
        raise NotFound("no such agent", {"id": agent_id})
    key = keyring.issue(session, keys, RING, agent_id)
    audit.record(session, actor, "agent.key_issued", str(agent_id), {"key_id": key["key_id"]})
    return key


def revoke_key(session: Session, actor: str, agent_id: int, key_id: str) -> None:
    if keyring.revoke(session, RING, agent_id, key_id):
        agent = session.get(Agent, agent_id)
        if agent is not None:  # console sessions signed in with any key end with it
            agent.credential_version = agent.credential_version + 1
        audit.record(session, actor, "agent.key_revoked", str(agent_id), {"key_id": key_id})


def list_keys(session: Session, agent_id: int) -> list[dict[str, Any]]:
    chain(session, agent_id)  # 404 for no such agent
    return [
        {**k, "created_at": stamp(k["created_at"]), "revoked_at": stamp(k["revoked_at"])}
        for k in keyring.listed(session, RING, agent_id)
    ]


def allowed(allowlist: list[str] | None, ip: str) -> bool:
    if not allowlist:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in allowlist)


def authenticate(session: Session, keys: DataKeys, signed: signing.Signed, ip: str) -> dict[str, Any]:
    """The agent behind a signed open-API call (401 as keyring.authenticate; 403 for a disabled
    agent or an address outside its allowlist)."""
    line = chain(session, keyring.authenticate(session, keys, RING, signed))
    agent = line[-1]
    if any(a.status != "active" for a in line):
        raise Forbidden("this agent is disabled", {})
    if not allowed(agent.ip_allowlist, ip):
        raise Forbidden("this address may not call for this agent", {})
    return {
        "agent_id": agent.id,
        "name": agent.name,
        "level": agent.level,
        "top_level": line[0].level,
        "parent_id": agent.parent_id,
        "currency": CURRENCY,
    }


def valid_cidrs(values: list[str]) -> list[str]:
    """Each value a CIDR (or a single address), normalised; InvalidInput otherwise."""
    try:
        return [str(ipaddress.ip_network(v.strip(), strict=False)) for v in values]
    except ValueError:
        raise InvalidInput("not a CIDR", {"ip_allowlist": values}) from None


def forget_nonces(session: Session) -> int:
    return keyring.forget_nonces(session, RING)
