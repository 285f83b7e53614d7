"""The analytics reports (issue 22): amounts as decimal strings ("9.90"), rates as percentages
with two places ("12.34"), the period as the shop's dates."""

from marshmallow import Schema, fields, validate

REPORTS = ("heatmap", "breakdown", "funnel", "repeat_buyers", "margin", "refunds_risk", "slow_sellers")
DIMENSIONS = ("sku", "category", "channel", "agent")


class AnalyticsQuery(Schema):
    since = fields.Date(metadata={"description": "first day (Asia/Shanghai), default 29 days before until"})
    until = fields.Date(metadata={"description": "last day (Asia/Shanghai), default today"})
    by = fields.String(validate=validate.OneOf(DIMENSIONS), metadata={"description": "breakdown only"})


class HeatCell(Schema):
    dow = fields.Integer(metadata={"description": "ISO weekday, 1 = Monday"})
    hour = fields.Integer()
    orders = fields.Integer()
    paid = fields.Integer()
    sales = fields.String()


class ReportLine(Schema):
    key = fields.String()
    sku = fields.String()
    name = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    orders = fields.Integer()
    paid = fields.Integer()
    sales = fields.String()
    refunds = fields.Integer()
    refund_amount = fields.String()
    risk_rejected = fields.Integer()
    units = fields.Integer()
    revenue = fields.String()
    unit_cost = fields.String(allow_none=True)
    cost = fields.String(allow_none=True)
    margin = fields.String(allow_none=True)
    margin_rate = fields.String(allow_none=True)
    views = fields.Integer()


class AnalyticsReport(Schema):
    report = fields.String()
    since = fields.String()
    until = fields.String()
    by = fields.String()
    cells = fields.List(fields.Nested(HeatCell))
    peak = fields.Nested(HeatCell, allow_none=True)
    items = fields.List(fields.Nested(ReportLine))
    categories = fields.List(fields.Nested(ReportLine))
    views = fields.Integer()
    orders = fields.Integer()
    paid = fields.Integer()
    completed = fields.Integer()
    buyers = fields.Integer()
    repeat_buyers = fields.Integer()
    repeat_rate = fields.String(allow_none=True)
    refunds = fields.Integer()
    refund_amount = fields.String()
    risk_rejected = fields.Integer()


class AnalyticsReplay(Schema):
    events = fields.Integer()
