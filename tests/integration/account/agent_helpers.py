"""Agents for the ledger tests: a level, a chain of agents with markups, wallets topped up."""

from services.account import agents, sales
from services.common.testing import unique


def a_level(s):
    name = unique("gold")[:32]
    agents.put_level(s, "test", name, 1)
    return name


def a_chain(s, markups, top_up=0, max_depth=10):
    """Agents root..leaf; `markups[i]`: agent i's markup to its sub-agent (bp), within limits
    wide open. Each agent's wallet gets `top_up` fen."""
    level, ids, parent = a_level(s), [], None
    for markup in markups:
        made = agents.create(s, "test", {"name": unique("A"), "contact": "a@example.com", "parent": parent,
                                         "level": level}, max_depth)  # fmt: skip
        agents.change(s, "test", made["id"], {"sub_markup_min_bp": 0, "sub_markup_max_bp": 100_000})
        agents.change(s, "test", made["id"], {"markup_bp": markup})
        if top_up:
            sales.adjust(s, "test", made["id"], top_up, "top up", unique("k"))
        ids.append(made["id"])
        parent = made["id"]
    return ids
