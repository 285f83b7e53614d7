from services.common.testing import unique, wait_until


def card_product(admin, codes=5, max_quantity=5, price="9.90", category="测试"):
    sku = unique("BUY")
    created = admin.post(
        "/api/v1/admin/products",
        json={
            "sku": sku,
            "name": f"卡 {sku}",
            "category": category,
            "price": price,
            "delivery": "card",
            "max_quantity": max_quantity,
        },
    )
    assert created.status_code == 201, created.text
    if codes:
        lines = "".join(f"{sku}-C{n:04d},pw{n}\n" for n in range(codes)).encode()
        imported = admin.post(f"/api/v1/admin/products/{sku}/codes", data=lines, headers={"Content-Type": "text/plain"})
        assert imported.json()["imported"] == codes
    return sku


def buy(api, sku, quantity=1, contact="buyer@example.com", **headers):
    return api.post(
        "/api/v1/orders",
        json={"sku": sku, "quantity": quantity, "contact": contact, "payment_channel": "sandbox"},
        headers=headers,
    )


def pay(api, order):
    return api.post(f"/api/v1/payments/sandbox/{order['payment']['payment_no']}/pay")


def order_of(api, order):
    response = api.get(f"/api/v1/orders/{order['order_no']}", headers={"X-Order-Token": order["token"]})
    assert response.status_code == 200, response.text
    return response.json()


def wait_status(api, order, *statuses, timeout=15):
    return wait_until(
        lambda: (o := order_of(api, order))["status"] in statuses and o,
        timeout=timeout,
        message=f"order {order['order_no']} to become {statuses}",
    )


def stock(api, sku):
    return wait_until(lambda: api.get(f"/api/v1/products/{sku}").json(), message="product")["stock"]


def events_of(db, service, order):
    """The types of the events `service` wrote (its outbox) about the order, oldest first. An event
    is written in the same transaction as the change it announces, so what is not here by the time
    that transaction answered was never sent."""
    return [
        r["type"]
        for r in db(
            f"SELECT type FROM \"{service}\".outbox WHERE envelope->'data'->>'order_no' = :o ORDER BY id",
            o=order["order_no"],
        )
    ]


def delivery_requests(db, order):
    """The order's delivery requests, oldest first: (published, handled by the delivery service)."""
    return [
        (r["published"], r["handled"])
        for r in db(
            'SELECT o.published_at IS NOT NULL AS published, i.event_id IS NOT NULL AS handled FROM "order".outbox o '
            "LEFT JOIN delivery.inbox i ON i.event_id = o.event_id "
            "WHERE o.type = 'delivery_requested' AND o.envelope->'data'->>'order_no' = :o ORDER BY o.id",
            o=order["order_no"],
        )
    ]


def deliveries_handled(db, order):
    """Whether the order's delivery requests (one at least) have all been handled."""
    requests = delivery_requests(db, order)
    return bool(requests) and all(handled for _, handled in requests)
