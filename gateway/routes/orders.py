from gateway import auth, members, ordering, schemas, signals
from gateway.http import api, json_body, query_args
from gateway.routes import Routes
from services.common.errors import InvalidInput, NotFound

ADMIN = {"tags": ["admin"], "roles": auth.ORDERS}
REFUNDS = {"tags": ["admin"], "roles": auth.MONEY}
ORDER_TOKEN = (
    "X-Order-Token",
    True,
    "the create answer's token; a wrong or missing one is a 404 like an unknown order",
)


def idempotency_key(request):
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 255:
        raise InvalidInput("Idempotency-Key must be 1 to 255 characters", {})
    return key


class OrderRoutes(Routes):
    @api(
        "POST",
        "/api/v1/orders",
        summary="Buy: create an order (Idempotency-Key supported)",
        body=schemas.NewOrder,
        response=schemas.CreatedOrder,
        status=201,
        tags=["orders"],
        errors=(403, 404, 409, 422, 429),  # real name; unknown SKU; stock, coupon; Idempotency-Key reused
        headers=(("Idempotency-Key", False, "a replay with the same key and body answers as the first time"),),
    )
    def create_order(self, request):
        self.limit("orders", request)
        body = json_body(request, schemas.NEW_ORDER)
        buyer = signals.of(request, self.config.get("TRUSTED_PROXIES", ()))
        wait_s = float(self.config.get("ORDER_WAIT_S", ordering.WAIT_S))
        return ordering.place(
            self.order_rpc,
            self.order_creates,
            self.orders_moving,
            body,
            buyer,
            idempotency_key(request),
            wait_s,
            self.sold_out,
            members.for_order(self, request),
        )

    @api(
        "GET",
        "/api/v1/orders/<order_no>",
        summary="An order, with its codes once delivered (X-Order-Token); "
        "with status= and wait=, held while the order is still in that status",
        query=schemas.OrderWait,
        response=schemas.Order,
        tags=["orders"],
        errors=(429,),
        headers=(
            (
                "X-Order-Token",
                True,
                "the token of the create answer; a wrong or missing one is a 404 like an unknown order",
            ),
        ),
    )
    def get_order(self, request, order_no):
        self.limit("lookup", request)
        hold = query_args(request, schemas.ORDER_WAIT)
        token = request.headers.get("X-Order-Token", "")[:256]
        order = ordering.look(
            self.order_rpc,
            self.orders_moving,
            order_no[:64],
            token,
            ordering.held_status(self.order_rpc, hold),
            hold["wait"],
        )
        return schemas.ORDER.dump(order)

    @api(
        "POST",
        "/api/v1/orders/<order_no>/cancel",
        summary="Cancel before payment (X-Order-Token)",
        response=schemas.Order,
        tags=["orders"],
        errors=(409, 429),  # paid already
        headers=(
            (
                "X-Order-Token",
                True,
                "the token of the create answer; a wrong or missing one is a 404 like an unknown order",
            ),
        ),
    )
    def cancel_order(self, request, order_no):
        self.limit("lookup", request)
        token = request.headers.get("X-Order-Token", "")
        return schemas.ORDER.dump({**self.order_rpc.cancel_order(order_no[:64], token[:256]), "items": []})

    @api(
        "POST",
        "/api/v1/payments/sandbox/<payment_no>/pay",
        summary="Sandbox channel: pay (dev and tests only)",
        response=schemas.SandboxPaid,
        tags=["payments"],
        errors=(429,),
    )
    def sandbox_pay(self, request, payment_no):
        if not self.config.get("SANDBOX_PAYMENTS"):
            raise NotFound("no such resource", {})
        self.limit("notify", request)
        self.payment_rpc.sandbox_pay(payment_no[:64])
        return {"paid": True, "payment_no": payment_no}

    @api(
        "GET",
        "/api/v1/admin/orders",
        summary="Search orders",
        query=schemas.OrderQuery,
        response=schemas.OrderList,
        **ADMIN,
    )
    def search_orders(self, request):
        query = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in query_args(request, schemas.OrderQuery()).items()
        }
        return schemas.OrderList().dump({"items": self.order_rpc.search_orders(query)})

    @api(
        "GET",
        "/api/v1/admin/orders/<order_no>",
        summary="An order with its saga timeline",
        response=schemas.AdminOrder,
        **ADMIN,
    )
    def admin_order(self, request, order_no):
        order = self.order_rpc.admin_order(order_no[:64])
        return schemas.AdminOrder().dump({**order, "risk": self.risk_rpc.decision(order["order_no"])})

    @api(
        "POST",
        "/api/v1/admin/orders/<order_no>/refund",
        summary="Refund a paid order, wholly (the order becomes refunded) or in part (`amount`; the order keeps "
        "its status; Idempotency-Key makes a retry harmless)",
        body=schemas.Refund,
        response=schemas.RefundedOrder,
        **REFUNDS,
    )
    def refund_order(self, request, order_no):
        actor = request.actor.audit
        body, order_no = json_body(request, schemas.Refund()), order_no[:64]
        refund = None
        if body.get("amount") is not None:  # None back: the amount is all that is left
            refund = self.payment_rpc.refund_payment(
                actor, order_no, body["amount"], body["reason"], idempotency_key(request)
            )
        if refund is None:
            order = self.order_rpc.refund_order(actor, order_no, body["reason"])
        else:
            order = self.order_rpc.admin_order(order_no)
        return schemas.RefundedOrder().dump({**order, "items": [], "refund": refund})
