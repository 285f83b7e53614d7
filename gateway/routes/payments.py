"""Payment channels' notifications (each in the channel's own wire format) and the payments admin."""

from urllib.parse import parse_qsl

from werkzeug.wrappers import Response

from gateway import auth, schemas
from gateway.http import api, json_body, query_args, read_body
from gateway.routes import Routes
from gateway.schemas import CHANNELS
from services.common.errors import NotFound

NOTIFY_HEADERS = 64  # a notification with more headers than this is not a channel's


def channel_request(request):
    """The plain dict a channel verifies: {method, headers (lower-case names), query, form, body}.
    The body crosses RPC as a latin-1 string: every byte survives (signatures cover bytes)."""
    body = read_body(request)
    form = {}
    if request.mimetype == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return {
        "method": request.method,
        "headers": {k.lower(): v for k, v in list(request.headers.items())[:NOTIFY_HEADERS]},
        "query": request.args.to_dict(),
        "form": form,
        "body": body.decode("latin-1"),
    }


NOTIFY = (
    "A payment channel's notification, answered in the channel's own format (epay: the body `success` "
    'or `fail`; alipay: `success` or `failure`; wechat: 204, or 400 with `{"code": "FAIL", "message"}`)'
)

NOTIFY_ERRORS = (
    204,  # wechat: verified
    429,
    (
        400,
        {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Error"},
                        {
                            "type": "object",
                            "description": "wechat: not verified",
                            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                            "required": ["code", "message"],
                        },
                    ]
                }
            }
        },
    ),
)


class PaymentRoutes(Routes):
    @api(
        "POST",
        "/api/v1/payments/<channel>/notify",
        content="text/plain",
        tags=["payments"],
        summary=NOTIFY,
        errors=NOTIFY_ERRORS,
    )
    def payment_notify(self, request, channel):
        return self.channel_notify(request, channel)

    @api(
        "GET",
        "/api/v1/payments/<channel>/notify",
        content="text/plain",
        tags=["payments"],
        summary=NOTIFY + " (epay also notifies by GET)",
        errors=NOTIFY_ERRORS,
    )
    def payment_notify_get(self, request, channel):
        return self.channel_notify(request, channel)

    def channel_notify(self, request, channel):
        if channel not in CHANNELS:
            raise NotFound("no such payment channel", {})
        self.limit("notify", request)
        answer = self.payment_rpc.notify(channel, channel_request(request))
        return Response(answer["body"], status=answer["status"], headers=answer["headers"])

    @api(
        "GET",
        "/api/v1/admin/payments/reconciliation",
        query=schemas.ReconciliationQuery,
        response=schemas.ReconciliationReport,
        tags=["admin"],
        roles=auth.MONEY,
        summary="Payment mismatches of the last `days`: payments whose notify never came (settled by "
        "reconciliation), money a channel reports that was refused, failed refunds",
    )
    def reconciliation_report(self, request):
        days = query_args(request, schemas.ReconciliationQuery())["days"]
        return schemas.ReconciliationReport().dump(self.payment_rpc.reconciliation_report(days))

    @api(
        "GET",
        "/api/v1/admin/orders/<order_no>/payment",
        response=schemas.AdminPayment,
        tags=["admin"],
        roles=auth.ORDERS,
        summary="An order's payment: refunded amount, refunds, notifications received",
    )
    def admin_payment(self, request, order_no):
        return schemas.AdminPayment().dump(self.payment_rpc.admin_payment(order_no[:64]))

    @api(
        "POST",
        "/api/v1/admin/orders/<order_no>/payment/confirm",
        body=schemas.ConfirmByHand,
        response=schemas.AdminPayment,
        tags=["admin"],
        roles=auth.MONEY,
        errors=(404, 409),  # no payment for the order; settled already
        summary="Confirm a payment by hand: the channel's money arrived but its notification never came and "
        "reconciliation cannot see it. Settles it through the same path as a notification (paid, then "
        "delivered once; the late notification changes nothing). Audited with the reason",
    )
    def confirm_payment(self, request, order_no):
        body = json_body(request, schemas.ConfirmByHand())
        by = request.actor.audit
        return schemas.AdminPayment().dump(
            self.payment_rpc.confirm_by_hand(by, order_no[:64], body["trade_no"], body["reason"])
        )
