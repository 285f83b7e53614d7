""" "Find my order" by contact + the query password the buyer chose at checkout.

The password is stored only as a hash, like the order token, but a chosen password is weak
where the token is random: so the hash is scrypt (memory-hard), salted per contact. The salt
comes from the contact, so one hash finds every order of that contact with that password
through an index, and an unknown contact costs the same work as a known one. scrypt runs in
a real thread (eventlet's tpool): ~50 ms of CPU must not stall the service's other workers.
The gateway rate-limits lookups per IP and per contact."""

import hashlib

from eventlet import tpool
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.common.envelope import isoformat
from services.common.errors import NotFound
from services.order import domain
from services.order.models import LookupPassword, Order
from services.order.views import view

SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 << 20}  # 16 MiB per hash
MAX_FOUND = 20


def normal(contact):
    return contact.strip().lower()


def digest(contact, password):
    salt = hashlib.sha256(b"kameng-order-lookup:" + normal(contact).encode()).digest()
    return tpool.execute(hashlib.scrypt, password.encode(), salt=salt, **SCRYPT)


def contact_of(session, order_no, token):
    """The order's contact, once the token proves the caller is its buyer (NotFound otherwise)."""
    return domain.for_buyer(session, order_no, token).contact


def ticket_party(session, order_no, token, buyer_id, found_by_contact=False):
    """Who may open and follow an order's support tickets (issue 21): the holder of its token, the
    signed-in member it belongs to, or a buyer the gateway's find-my-order grant covers (their
    contact and lookup password checked by `find`, as for the order page); NotFound (as for a
    wrong token) for anyone else."""
    found = domain.for_buyer(session, order_no, token) if token else domain.saga.read(session, order_no)
    member = buyer_id is not None and found is not None and found.buyer_id == int(buyer_id)
    if found is None or (not token and not member and not found_by_contact):
        raise NotFound("no such order", {})
    order = found
    return {
        "order_no": order.order_no,
        "contact": order.contact,
        "buyer_id": order.buyer_id,
        "delivery": order.delivery,
        "status": order.status,
    }


def set_password(session, order_no, contact, password_hash):
    """Set (or replace) the order's query password."""
    session.execute(
        insert(LookupPassword)
        .values(order_no=order_no, contact=normal(contact), password_hash=password_hash)
        .on_conflict_do_update(index_elements=[LookupPassword.order_no], set_={"password_hash": password_hash})
    )


def find(session, contact, password_hash):
    """The contact's most recent orders with this password, newest first ([] when none)."""
    rows = session.scalars(
        select(Order)
        .join(LookupPassword, LookupPassword.order_no == Order.order_no)
        .where(LookupPassword.contact == normal(contact), LookupPassword.password_hash == password_hash)
        .order_by(Order.created_at.desc())
        .limit(MAX_FOUND)
    )
    return [{**view(o), "created_at": isoformat(o.created_at)} for o in rows]
