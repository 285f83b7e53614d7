"""The gateway's HTTP schemas: they validate requests, shape responses and generate /openapi.json."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.common.money import format_minor, parse_minor
from services.risk.schemas import ListEntry as NewListEntry, ReviewAction, RuleSet  # noqa: F401 -- HTTP bodies


class Money(fields.Field):
    """A decimal string with at most two places ("9.90") <-> integer minor units. Numbers are
    refused: a JSON number is a float to most clients, and money is never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", pattern=r"^\d+(\.\d{1,2})?$",
                                                 example="9.90")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_minor(value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_minor(value)
        except ValueError:
            raise ValidationError('a decimal string such as "9.90"') from None


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"enum": [
        "validation_error", "unauthorized", "forbidden", "not_found", "method_not_allowed",
        "out_of_stock", "conflict", "payload_too_large", "unsupported_media_type",
        "idempotency_mismatch", "rate_limited", "internal_error", "unavailable"]})
    message = fields.String(required=True)
    details = fields.Dict()


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class ProductQuery(Schema):
    class Meta:
        unknown = EXCLUDE          # stray query parameters (cache busters) are ignored

    category = fields.String(validate=validate.Length(1, 64))
    q = fields.String(validate=validate.Length(1, 64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=[validate.Length(1, 256), validate.Regexp(r"^[A-Za-z0-9_-]+$")])


class Product(Schema):
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    price = Money()
    currency = fields.String(metadata={"example": "CNY"})
    delivery = fields.String(metadata={"enum": ["card", "recharge", "manual"]})
    stock = fields.Integer(allow_none=True)
    min_quantity = fields.Integer()
    max_quantity = fields.Integer()
    description = fields.String()


class ProductList(Schema):
    items = fields.List(fields.Nested(Product))
    next_cursor = fields.String(allow_none=True)


SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - (max 64)")
CURRENCY = validate.OneOf(["CNY", "USD", "USDT"])
QUANTITY = validate.Range(1, 10_000)


class ProductChanges(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    category = fields.String(validate=validate.Length(1, 64))
    price = Money()
    currency = fields.String(validate=CURRENCY)
    min_quantity = fields.Integer(strict=True, validate=QUANTITY)
    max_quantity = fields.Integer(strict=True, validate=QUANTITY)
    description = fields.String(validate=validate.Length(max=5000))
    low_stock_threshold = fields.Integer(strict=True, validate=validate.Range(0, 1_000_000))
    sort_order = fields.Integer(strict=True, validate=validate.Range(-10**6, 10**6))
    active = fields.Boolean()


class NewProduct(ProductChanges):
    sku = fields.String(required=True, validate=SKU)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    category = fields.String(required=True, validate=validate.Length(1, 64))
    price = Money(required=True)
    currency = fields.String(load_default="CNY", validate=CURRENCY)
    delivery = fields.String(required=True, validate=validate.OneOf(["card", "recharge", "manual"]))
    min_quantity = fields.Integer(load_default=1, strict=True, validate=QUANTITY)
    max_quantity = fields.Integer(load_default=10, strict=True, validate=QUANTITY)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    low_stock_threshold = fields.Integer(load_default=0, strict=True,
                                         validate=validate.Range(0, 1_000_000))


class AdminProduct(Product):
    active = fields.Boolean()
    low_stock_threshold = fields.Integer()
    sort_order = fields.Integer()


class QuoteQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    quantity = fields.Integer(required=True, validate=QUANTITY)


class Quote(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_price = Money()
    total = Money()
    currency = fields.String()
    rule = fields.Dict(metadata={"description": "the price rule applied: base, level or promotion"})


class Category(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    parent = fields.String(allow_none=True, load_default=None, validate=validate.Length(1, 64))
    sort_order = fields.Integer(load_default=0, strict=True, validate=validate.Range(-10**6, 10**6))


class CategoryChanges(Schema):
    name = fields.String(validate=validate.Length(1, 64))
    parent = fields.String(allow_none=True, validate=validate.Length(1, 64))
    sort_order = fields.Integer(strict=True, validate=validate.Range(-10**6, 10**6))


class CategoryList(Schema):
    items = fields.List(fields.Nested(Category))


class LevelPrice(Schema):
    price = Money(required=True, allow_none=True,
                  metadata={"description": "null removes the level's price"})


class LevelPriceSet(Schema):
    sku = fields.String()
    level = fields.String()
    price = Money(allow_none=True)


class Promotion(Schema):
    id = fields.Integer(dump_only=True)
    sku = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    percent_off = fields.Integer(strict=True, validate=validate.Range(1, 99), allow_none=True)
    price = Money(allow_none=True)
    weekdays = fields.List(fields.Integer(validate=validate.Range(1, 7)), validate=validate.Length(1, 7),
                           metadata={"description": "ISO weekdays, 1 = Monday"})
    starts = fields.String(validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"), metadata={"example": "20:00"})
    ends = fields.String(validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"), metadata={"example": "22:00"})
    timezone = fields.String(validate=validate.Length(1, 64), metadata={"example": "Asia/Shanghai"})
    valid_from = fields.String(allow_none=True, validate=validate.Length(max=40))
    valid_until = fields.String(allow_none=True, validate=validate.Length(max=40))
    active = fields.Boolean(dump_only=True)


class StockLevel(Schema):
    sku = fields.String()
    name = fields.String()
    active = fields.Boolean()
    counted = fields.Boolean()
    available = fields.Integer()
    reserved = fields.Integer()
    sold = fields.Integer()
    low_stock_threshold = fields.Integer()
    low = fields.Boolean()


class StockReport(Schema):
    items = fields.List(fields.Nested(StockLevel))


class StockSet(Schema):
    stock = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(0, 10**9),
                           metadata={"description": "null: unlimited"})


class ImportQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    separator = fields.String(load_default=",", validate=validate.OneOf([",", "|", "----", "\t", " ", ";"]))


class Rejected(Schema):
    line = fields.Integer()
    reason = fields.String()


class ImportResult(Schema):
    imported = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.List(fields.Nested(Rejected))
    rejected_total = fields.Integer()


class CodeQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.OneOf(["available", "reserved", "sold"]))
    reveal = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    after_id = fields.Integer(load_default=0, validate=validate.Range(0))


class AdminCode(Schema):
    id = fields.Integer()
    code = fields.String()
    secret = fields.String(allow_none=True)
    expires_on = fields.String(allow_none=True)
    status = fields.String()
    order_no = fields.String(allow_none=True)


class CodeList(Schema):
    items = fields.List(fields.Nested(AdminCode))
    next_after_id = fields.Integer(allow_none=True)


class ServiceHealth(Schema):
    status = fields.String()
    database = fields.String()


class Ready(Schema):
    status = fields.String(metadata={"enum": ["ok"]})


class Health(Schema):
    status = fields.String(metadata={"enum": ["ok", "unavailable"]})
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ServiceHealth))


def health(answers):
    """(status, body) of /healthz from each service's ping answer (or the exception instead)."""
    services = {name: ({"status": "ok", **answer} if not isinstance(answer, Exception)
                       else {"status": "unavailable", "database": "unknown"})
                for name, answer in sorted(answers.items())}
    healthy = all(s["status"] == "ok" for s in services.values())
    body = Health().dump({"status": "ok" if healthy else "unavailable", "services": services})
    if not healthy:
        body["error"] = {"code": "unavailable", "message": "not every service answered"}
    return (200 if healthy else 503), body


CHANNELS = ["sandbox", "epay", "alipay", "wechat", "usdt"]


class NewOrder(Schema):
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY)
    contact = fields.Email(required=True, validate=validate.Length(max=254))
    payment_channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    recharge_account = fields.String(validate=validate.Length(1, 64))
    coupon = fields.String(validate=validate.Length(1, 64))


class PaymentInfo(Schema):
    channel = fields.String()
    payment_no = fields.String()
    pay_url = fields.String(allow_none=True)


class OrderItem(Schema):
    code = fields.String()
    secret = fields.String(allow_none=True)


ORDER_STATUSES = ["pending", "reserving", "review", "awaiting_payment", "paid", "delivering", "completed",
                  "rejected", "expired", "cancelled", "refunding", "refunded"]
MAX_WAIT_S = 20


class OrderWait(Schema):
    """GET /orders/{no}?status=awaiting_payment&wait=15: while the order is still in `status`,
    hold the answer up to `wait` seconds for it to move (a long poll, instead of asking often)."""
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    wait = fields.Float(load_default=0, validate=validate.Range(0, MAX_WAIT_S))


class Order(Schema):
    order_no = fields.String()
    status = fields.String(metadata={"enum": ORDER_STATUSES})
    amount = Money()
    currency = fields.String()
    expires_at = fields.String(metadata={"format": "date-time"})
    payment = fields.Nested(PaymentInfo, allow_none=True)
    sku = fields.String()
    quantity = fields.Integer()
    reason = fields.String(allow_none=True)
    items = fields.List(fields.Nested(OrderItem))


class CreatedOrder(Order):
    token = fields.String(metadata={"description": "keep it: it is the only key to this order"})


class Transition(Schema):
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    event = fields.String()
    data = fields.Dict()
    at = fields.String()


class RiskDecision(Schema):
    order_no = fields.String()
    outcome = fields.String(metadata={"enum": ["approve", "review", "reject"]})
    score = fields.Integer()
    rules = fields.List(fields.Dict(), metadata={"description": "fired rules: rule, reason, action, score"})
    rules_version = fields.Integer(allow_none=True)
    signals = fields.Dict()
    at = fields.String()
    hold_until = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class AdminOrder(Order):
    class Meta:
        exclude = ("items",)      # codes are revealed through the audited code listing only

    contact = fields.String()
    unit_price = Money()
    price_rule = fields.Dict()
    late = fields.Boolean()
    recharge_account = fields.String(allow_none=True)
    created_at = fields.String()
    paid_at = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)
    codes_shown_at = fields.String(allow_none=True, metadata={"description": "when the buyer first saw the codes"})
    timeline = fields.List(fields.Nested(Transition))
    risk = fields.Nested(RiskDecision, allow_none=True, metadata={"description": "the risk decision and why"})


class OrderQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.Length(1, 32))
    contact = fields.String(validate=validate.Length(1, 254))
    sku = fields.String(validate=validate.Length(1, 64))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    before = fields.String(validate=validate.Length(1, 64))


class OrderSummary(AdminOrder):
    class Meta:
        exclude = ("items", "timeline", "risk")


class OrderList(Schema):
    items = fields.List(fields.Nested(OrderSummary))


class Refund(Schema):
    reason = fields.String(load_default="refund by merchant", validate=validate.Length(1, 200))
    amount = Money(metadata={"description": "part of the payment to refund; absent (or all that is left): the "
                                            "whole order is refunded and becomes `refunded`"})


class RefundInfo(Schema):
    refund_no = fields.String()
    amount = Money()
    status = fields.String(metadata={"enum": ["refunding", "refunded", "refund_failed", "superseded"]})
    error = fields.String(allow_none=True)


class RefundedOrder(Order):
    refund = fields.Nested(RefundInfo, allow_none=True,
                           metadata={"description": "a partial refund (null when the whole order is refunded "
                                                    "through its saga: follow the order's status)"})


class ReconciliationQuery(Schema):
    days = fields.Integer(load_default=7, validate=validate.Range(1, 90))


class Mismatch(Schema):
    kind = fields.String(metadata={"enum": ["settled_by_reconciliation", "rejected_payment", "refund_failed"]})
    channel = fields.String(allow_none=True)
    payment_no = fields.String(allow_none=True)
    order_no = fields.String(allow_none=True)
    amount = Money(allow_none=True)
    detail = fields.String()
    at = fields.String()


class ReconciliationReport(Schema):
    items = fields.List(fields.Nested(Mismatch))
    refused_notifications = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                        metadata={"description": "unverifiable notifications per channel"})


class AdminRefund(RefundInfo):
    whole = fields.Boolean(metadata={"description": "the order's own refund (its saga), not a partial one"})
    attempts = fields.Integer()
    reason = fields.String()
    created_at = fields.String()
    finished_at = fields.String(allow_none=True)


class PaymentNotification(Schema):
    outcome = fields.String()
    verified = fields.Boolean()
    source = fields.String(metadata={"enum": ["notify", "reconciliation"]})
    at = fields.String()


class AdminPayment(Schema):
    payment_no = fields.String()
    order_no = fields.String()
    channel = fields.String()
    status = fields.String(metadata={"enum": ["pending", "closed", "paid", "refunding", "refunded"]})
    amount = Money()
    refunded_amount = Money()
    currency = fields.String()
    channel_trade_no = fields.String(allow_none=True)
    pay_url = fields.String(allow_none=True)
    created_at = fields.String()
    paid_at = fields.String(allow_none=True)
    refunds = fields.List(fields.Nested(AdminRefund))
    notifications = fields.List(fields.Nested(PaymentNotification))


class IntegrityQuery(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(1, 366))
    grace_s = fields.Integer(load_default=300, validate=validate.Range(0, 86400))


class IntegrityReport(Schema):
    ok = fields.Boolean()
    grace_s = fields.Integer()
    counted = fields.Dict(keys=fields.String(), values=fields.Integer())
    problems = fields.List(fields.Dict(), metadata={"description": "each with `check` and what it found"})


# risk (issue 7): bodies are validated by the risk service's own schemas (imported above, one
# definition of a rule set); these are the answers
class RiskRules(Schema):
    version = fields.Integer(metadata={"description": "0: the built-in default (nothing configured)"})
    rules = fields.Dict()
    actor = fields.String(allow_none=True)
    at = fields.String(allow_none=True)


class RiskRuleVersions(Schema):
    items = fields.List(fields.Nested(RiskRules))


class RiskListEntry(Schema):
    id = fields.Integer()
    kind = fields.String()
    value = fields.String()
    note = fields.String(allow_none=True)
    actor = fields.String()
    at = fields.String()


class RiskListEntries(Schema):
    items = fields.List(fields.Nested(RiskListEntry))


class RiskReviews(Schema):
    items = fields.List(fields.Nested(RiskDecision))


# One instance of each schema on the buyers' hot paths: building a Schema costs more than using it
# (instances are stateless between loads and dumps).
NEW_ORDER, ORDER_WAIT, ORDER, CREATED_ORDER = NewOrder(), OrderWait(), Order(), CreatedOrder()
