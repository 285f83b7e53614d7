"""The storefront pages (gateway/routes/pages.py): not part of /openapi.json."""

from marshmallow import fields

from gateway.schemas.orders import Order


class BuyerOrder(Order):
    """The order page's order: the public order, plus what the order service says the page
    decides on (services/order/views.py `flags`)."""

    terminal = fields.Boolean()
    delivered = fields.Boolean()
    can_cancel = fields.Boolean()
