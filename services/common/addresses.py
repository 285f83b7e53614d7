"""E-mail addresses we send to: a mailbox at a named domain. An IP-literal domain (`a@[127.0.0.1]`,
`a@127.0.0.1`) is refused: mail to it would go straight to whatever host the buyer names (an
internal one included), around every mail exchanger's checks."""

import ipaddress

from marshmallow import ValidationError


def named_domain(address: str) -> None:
    """A marshmallow validator: raise ValidationError for an IP-literal domain."""
    domain = address.rpartition("@")[2].strip().rstrip(".")
    literal = domain[1:-1] if domain.startswith("[") and domain.endswith("]") else domain
    if literal.lower().startswith("ipv6:"):
        literal = literal[5:]
    try:
        ipaddress.ip_address(literal)
    except ValueError:
        if not (domain.startswith("[") or literal.replace(".", "").isdigit()):
            return
    raise ValidationError("the address must be at a named domain, not an IP address")
