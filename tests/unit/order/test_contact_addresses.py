"""A contact e-mail at an IP-literal domain is refused, by the order service (which owns the rule)
and by the gateway's schema (by shape, before any RPC)."""

import pytest
from marshmallow import ValidationError

from gateway.schemas.orders import NewOrder
from services.order.schemas import CreateOrder

ORDER = {"sku": "SKU-1", "quantity": 1, "payment_channel": "sandbox"}
LITERALS = ["a@[127.0.0.1]", "a@127.0.0.1", "a@[IPv6:::1]", "a@10.0.0.12", "a@[10.0.0.1]"]


@pytest.mark.parametrize("schema", [CreateOrder, NewOrder])
@pytest.mark.parametrize("contact", LITERALS)
def test_an_ip_literal_domain_is_refused(schema, contact):
    with pytest.raises(ValidationError) as refused:
        schema().load({**ORDER, "contact": contact})
    assert "contact" in refused.value.messages


@pytest.mark.parametrize("schema", [CreateOrder, NewOrder])
@pytest.mark.parametrize("contact", ["buyer@example.com", "a@mail.123.example", "a@xn--fiqs8s.cn"])
def test_a_named_domain_is_taken(schema, contact):
    assert schema().load({**ORDER, "contact": contact})["contact"] == contact
