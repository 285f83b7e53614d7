"""Staff webhooks: targets set up through the notify service's admin RPCs (URL and secret
encrypted), the ready formats posted to a local double of the bot platforms (WeCom, DingTalk with
its signature checked, Telegram, generic JSON), in each target's language; a target that refuses
is retried, then given up and counted. Real broker and database."""

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY

from services.common.testing import make_envelope, unique, wait_until
from services.notify import sending
from services.notify.service import NotifyService
from tests.doubles.smtp import SmtpDouble
from tests.doubles.webhooks import WebhookDouble


@pytest.fixture
def hooks():
    double = WebhookDouble().start()
    yield double
    double.stop()


@pytest.fixture
def smtp():
    double = SmtpDouble().start()
    yield double
    double.stop()


@pytest.fixture
def notify(config, runner_factory, smtp):
    staff = f"{unique('staff')}@example.com"
    runner_factory({**config, "SMTP_URL": smtp.url, "NOTIFY_STAFF_EMAILS": [f"{staff}:en"]}, NotifyService).start()
    with ClusterRpcProxy(config) as cluster:
        made = []
        yield cluster.notify, made, staff, event_dispatcher(config)
        for target_id in made:  # no target outlives the test (later tests' events would go to it)
            cluster.notify.delete_target("staff:test", target_id)


def add(rpc, made, **body):
    target = rpc.create_target("staff:test", {"name": unique("hook"), **body})
    made.append(target["id"])
    return target


def failed_count(channel):
    return REGISTRY.get_sample_value("kameng_notifications_failed_total", {"channel": channel}) or 0


def test_each_format_reaches_its_platform_in_the_targets_language(notify, hooks, smtp, db):
    rpc, made, staff, dispatch = notify
    generic = add(rpc, made, format="generic", url=f"{hooks.url}/generic", topics=["stock", "support"], language="en")
    add(rpc, made, format="wecom", url=f"{hooks.url}/wecom?key=K", topics=["stock"])
    ding = add(
        rpc, made, format="dingtalk", url=f"{hooks.url}/dingtalk?access_token=T", secret=hooks.dingtalk_secret,
        topics=["stock", "support"],
    )  # fmt: skip
    add(rpc, made, format="telegram", url=f"{hooks.url}/bot123:ABC/sendMessage", chat_id="-100", topics=["stock"])
    assert ding["has_secret"] and ding["url_host"] == "http://127.0.0.1" and "url" not in ding and "secret" not in ding
    [stored] = db("SELECT url, secret FROM notify.targets WHERE id = :i", i=ding["id"])
    assert b"127.0.0.1" not in bytes(stored["url"]) and hooks.dingtalk_secret.encode() not in bytes(stored["secret"])

    sku = unique("SKU")
    low = make_envelope("stock_low", sku=sku, available=3, threshold=10)
    dispatch("catalog", "stock_low", low)
    wait_until(lambda: len([r for r in hooks.requests if sku in r.body]) == 4, timeout=20, message="four posts")

    [g] = [b for b in hooks.bodies("/generic") if b["data"]["sku"] == sku]
    [posted] = [r for r in hooks.requests if r.path == "/generic" and sku in r.body]
    assert posted.headers["Idempotency-Key"] == g["id"] and g["id"].startswith("notify-")
    assert g["event"] == "stock_low" and g["language"] == "en" and g["title"] == f"Low stock: {sku}"
    assert g["text"] == f"{sku} has 3 available, below the threshold of 10.\n"
    [w] = [b for b in hooks.bodies("/wecom") if sku in b["markdown"]["content"]]
    assert w == {
        "msgtype": "markdown",
        "markdown": {"content": f"**库存不足：{sku}**\n{sku} 可用库存 3，低于阈值 10。\n"},
    }
    [d] = [b for b in hooks.bodies("/dingtalk") if sku in b["text"]["content"]]
    assert d["msgtype"] == "text" and d["text"]["content"].startswith(f"库存不足：{sku}\n")
    assert hooks.bad_signatures == 0  # the double verified timestamp + sign
    [t] = [b for b in hooks.bodies("/bot123:ABC/sendMessage") if sku in b["text"]]
    assert t["chat_id"] == "-100" and t["text"].startswith(f"库存不足：{sku}")

    ticket = unique("T")
    warning = make_envelope(
        "ticket_sla_warning", ticket_id=ticket, category="code_invalid", priority="high", due_at="12:00", assignee=None
    )
    dispatch("support", "ticket_sla_warning", warning)
    wait_until(lambda: len([r for r in hooks.requests if ticket in r.body]) == 2, timeout=20, message="two posts")
    [g] = [b for b in hooks.bodies("/generic") if b["data"].get("ticket_id") == ticket]
    assert g["title"] == f"Ticket #{ticket} is about to miss its SLA" and "assignee: nobody" in g["text"]
    [d] = [b for b in hooks.bodies("/dingtalk") if ticket in b["text"]["content"]]
    assert d["text"]["content"].startswith(f"工单 #{ticket} 即将超时") and "处理人：未分配" in d["text"]["content"]
    wait_until(lambda: any(staff.encode() in m for m in smtp.messages), timeout=20, message="the staff e-mail")
    [mail] = [m for m in smtp.messages if staff.encode() in m]
    assert b"is about to miss its SLA" in mail  # the staff address asked for English

    add(rpc, made, format="generic", url=f"{hooks.url}/generic", topics=["supplier"], language="zh")
    back = make_envelope("supplier_availability_changed", supplier_id=7, usable=True)
    dispatch("supplier", "supplier_availability_changed", back)  # usable again: nobody is told
    stopped = make_envelope("supplier_availability_changed", supplier_id=8, usable=False)
    dispatch("supplier", "supplier_availability_changed", stopped)
    wait_until(
        lambda: [b for b in hooks.bodies("/generic") if b["data"].get("supplier_id") == 8], timeout=20, message="told"
    )
    [told] = [b for b in hooks.bodies("/generic") if b["data"].get("supplier_id") in (7, 8)]
    assert told["title"] == "供应商 8 已不可用" and told["event"] == "supplier_unavailable"
    assert generic["topics"] == ["stock", "support"]


def test_a_refusing_target_is_retried_then_given_up_and_counted(notify, hooks, db, monkeypatch):
    monkeypatch.setattr(sending, "RETRY_S", 0.2)
    monkeypatch.setattr(sending, "MAX_ATTEMPTS", 3)
    rpc, made, _, dispatch = notify
    wrong = add(
        rpc, made, format="dingtalk", url=f"{hooks.url}/dingtalk?access_token=T", secret="WRONG", topics=["stock"]
    )
    before = failed_count("webhook")
    sku = unique("SKU")
    dispatch("catalog", "stock_low", make_envelope("stock_low", sku=sku, available=1, threshold=5))

    def row():
        rows = db("SELECT status, attempts, error FROM notify.messages WHERE recipient = :r", r=f"target:{wrong['id']}")
        return rows[0] if rows else {}

    wait_until(lambda: row().get("status") == "failed", timeout=40, message="given up")
    assert row() == {"status": "failed", "attempts": 3, "error": "Refused"}
    assert hooks.bad_signatures == 3 and failed_count("webhook") == before + 1
    assert not [r for r in hooks.requests if sku in r.body]  # the platform never took it
