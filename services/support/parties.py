"""Who may see a ticket: the buyer of its order, proved by the order service (the order token's
check, or the signed-in member the order belongs to), and support staff (checked by the gateway's
roles). Asked by RPC before any transaction opens."""

import base64
import binascii
from typing import Any

from services.common.errors import InvalidInput, NotFound, load
from services.support import schemas
from services.support.attachments import MAX_BYTES
from services.support.errors import AttachmentTooLarge


def prove(order_party, order_no: str, credentials: dict[str, Any] | None) -> dict[str, Any]:
    """{"order_no", "contact", "buyer_id", ...} of the order when the credentials are its buyer's;
    404 (as for an unknown order) otherwise."""
    creds = load(schemas.Credentials(), credentials or {})
    if not creds["token"] and creds["buyer_id"] is None and not creds["found"]:
        raise NotFound("no such order", {})
    return order_party(str(order_no)[:64], creds["token"], creds["buyer_id"], creds["found"])


def decode(upload: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    upload = load(schemas.Upload(), upload)
    if len(upload["content"]) > (MAX_BYTES * 4) // 3 + 8:  # before decoding a huge string
        raise AttachmentTooLarge("attachments are at most 2 MiB", {"max_bytes": MAX_BYTES})
    try:
        return upload, base64.b64decode(upload["content"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("content is not base64", {}) from None


SUPPORT_ROLES = ("support", "owner")


def assignee(list_staff, staff_id: int | None) -> dict[str, Any] | None:
    """{"id", "name"} of a support staff member from the account service (None: unassign)."""
    if staff_id is None:
        return None
    for member in list_staff():
        if member["id"] == int(staff_id) and member["role"] in SUPPORT_ROLES and not member["disabled"]:
            return {"id": member["id"], "name": member["name"] or member["email"]}
    raise InvalidInput("assign to an active support staff member", {"staff_id": staff_id})
