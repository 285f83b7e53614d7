"""The integrity check (`make audit`, the audit service's `check_integrity` that the console's
`GET /api/v1/admin/integrity` calls): the promises of the platform, checked across the services'
own records.

- every code is sold at most once, and never more codes than an order bought; a loop product's
  code (循环卡密, given to every order of its SKU) is the one kind that many orders hold, and only
  through the loop path: a single-sale code given that way is reported as sold twice;
- every paid order is delivered (completed) or refunded, once `grace_s` has passed since payment;
- every payment that received money belongs to an order that knows it was paid, and every paid
  order has such a payment; a refunded order's money went back.

Each service reports its facts over RPC (`integrity_facts(days)`, read-only, in its own schema);
`check` compares them; nothing here reads another service's tables. `python -m
services.audit.integrity [days]` runs it against the running services and exits 1 when anything is
wrong."""

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from services.common.rpc import gather

DELIVERED = {"completed", "refunded"}
SOURCES = ("order", "catalog", "payment", "account")


def collect(rpcs: Mapping[str, Any], days: int, timeout: float = 30) -> dict[str, Any]:
    """{service: facts} from the order, catalog and payment services (`rpcs` maps a service name
    to its proxy); a service that does not answer makes the check fail loudly, not pass."""
    windows = {"order": days + 1, "catalog": days, "payment": days, "account": days}  # an order precedes its payment
    answers = gather(
        {name: (rpcs[name].integrity_facts, (window,)) for name, window in windows.items()}, timeout=timeout
    )
    for answer in answers.values():
        if isinstance(answer, Exception):
            raise answer
    return answers


def check(facts: Mapping[str, Any], grace_s: float = 300) -> dict[str, Any]:
    orders = {
        no: {
            "status": status,
            "quantity": quantity,
            "delivery": delivery,
            "paid": paid,
            "age_s": age,
            "channel": channel[0] if channel else None,
        }
        for no, status, quantity, delivery, paid, age, *channel in facts["order"]
    }
    sold = facts["catalog"]["sold"]
    loop_given = facts["catalog"].get("loop_given", {})
    payments = {
        order_no: {"payment_no": no, "status": status, "amount": amount, "refunded": refunded}
        for no, order_no, status, amount, refunded in facts["payment"]
    }
    problems: list[dict[str, Any]] = []

    def problem(kind: str, **details: Any) -> None:
        problems.append({"check": kind, **details})

    for sku, count in facts["catalog"]["stored_twice"]:
        problem("code_stored_twice", sku=sku, copies=count)
    if facts["catalog"]["sold_without_order"]:
        problem("code_sold_without_order", codes=facts["catalog"]["sold_without_order"])
    single_sale_problems(facts["catalog"].get("single_sale_given_by_loop", []), problem)
    for order_no, count in sold.items():
        order = orders.get(order_no)
        if order is not None and count > order["quantity"]:
            problem("codes_oversold", order_no=order_no, sold=count, bought=order["quantity"])
    for order_no, order in orders.items():
        if order["paid"] and order["status"] not in DELIVERED and order["age_s"] > grace_s:
            problem("paid_not_delivered", order_no=order_no, status=order["status"], paid_s_ago=round(order["age_s"]))
        if (
            order["status"] == "completed"
            and order["delivery"] == "card"
            and sold.get(order_no, 0) != order["quantity"]
        ):
            problem(
                "completed_without_its_codes", order_no=order_no, sold=sold.get(order_no, 0), bought=order["quantity"]
            )
        if order["status"] == "completed" and order["delivery"] == "loop" and not loop_given.get(order_no):
            problem("completed_without_its_codes", order_no=order_no, given=0, bought=order["quantity"])
        # an agent's order is paid from its wallet: the account service's ledger holds that money
        if order["paid"] and order_no not in payments and order["channel"] != "wallet":
            problem("paid_order_without_payment", order_no=order_no)
        payment = payments.get(order_no)
        if (
            order["status"] == "refunded"
            and payment
            and payment["refunded"] < payment["amount"]
            and payment["status"] != "refunded"
        ):
            problem(
                "refunded_order_money_kept",
                order_no=order_no,
                payment_no=payment["payment_no"],
                refunded=payment["refunded"],
                amount=payment["amount"],
            )
    ledger_problems(facts.get("account"), problem)
    for order_no, payment in payments.items():
        order = orders.get(order_no)
        if order is None or not order["paid"]:
            problem(
                "payment_without_paid_order",
                payment_no=payment["payment_no"],
                order_no=order_no,
                order_status=order and order["status"],
            )
    counted = {
        "orders": len(orders),
        "paid_orders": sum(o["paid"] for o in orders.values()),
        "payments_with_money": len(payments),
        "orders_with_codes": len(sold),
        "codes_sold": sum(sold.values()),
        "orders_with_loop_codes": len(loop_given),
    }
    if "account" in facts:
        counted["ledger_transactions"] = facts["account"]["transactions"]
    return {
        "ok": not problems,
        "grace_s": grace_s,
        "counted": counted,
        "problems": problems,
    }


def single_sale_problems(strays: Sequence[Mapping[str, Any]], problem: Any) -> None:
    """Single-sale codes the catalog gave by the loop path (`loop_deliveries`): a code held by more
    than one order (its buyer's and another) is sold twice; one held by its own order alone was
    still given the wrong way."""
    holders: dict[int, dict[str, Any]] = {}
    for stray in strays:
        held = holders.setdefault(stray["code_id"], {"sku": stray["sku"], "orders": set()})
        held["orders"].update(no for no in (stray["sold_to"], stray["given_to"]) if no)
    for code_id, held in sorted(holders.items()):
        kind = "code_sold_twice" if len(held["orders"]) > 1 else "single_sale_code_given_as_loop"
        problem(kind, code_id=code_id, sku=held["sku"], orders=sorted(held["orders"]))


def ledger_problems(ledger: Mapping[str, Any] | None, problem: Any) -> None:
    """The account service's ledger facts (services/account/ledger.py `integrity_facts`)."""
    if ledger is None:
        return
    for transaction_id, total in ledger["unbalanced"]:
        problem("ledger_transaction_unbalanced", transaction_id=transaction_id, sum=total)
    for code, cached, summed in ledger["drifted"]:
        problem("ledger_balance_drifted", account=code, balance=cached, entries=summed)
    if ledger["total"] != 0:
        problem("ledger_out_of_balance", total=ledger["total"])


def audit(rpcs: Mapping[str, Any], days: int, grace_s: float = 300, timeout: float = 30) -> dict[str, Any]:
    """The report: the facts asked of each service, compared."""
    return check(collect(rpcs, days, timeout), grace_s)


def main(argv: Sequence[str]) -> int:
    """Against the running services, on the broker of KAMENG_AMQP_URI."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common.config import nameko_config

    days = int(argv[0]) if argv else 30
    with ClusterRpcProxy(nameko_config(), timeout=60) as cluster:
        report = audit({name: getattr(cluster, name) for name in SOURCES}, days, timeout=60)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
