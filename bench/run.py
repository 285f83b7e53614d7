"""`make bench`: the services in a process of their own (as in `make run`), load from this one,
every figure next to the baseline measured in the same run (a bare gateway -> RPC echo).

Uses its own database (kameng_bench) and RabbitMQ vhost (kameng_bench); needs wrk for HTTP load.
Writes the table to bench-results/latest.md. A benchmark, not a test: it asserts nothing."""

import eventlet
import eventlet.event

import services  # noqa: F401 -- eventlet's deprecation notice filtered first

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import requests  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import profile  # noqa: E402
from services.common import migrate, signing  # noqa: E402
from services.common.config import DEV_ENV, settings  # noqa: E402
from services.common.crypto import DataKeys  # noqa: E402
from services.common.db import make_engine  # noqa: E402
from tools.runner import ALL  # noqa: E402

PORT = 8100
BASE = f"http://127.0.0.1:{PORT}"
ADMIN = {"Authorization": f"Bearer {DEV_ENV['KAMENG_ADMIN_TOKEN']}"}
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "8"))
IMPORT_SIZES = [int(n) for n in os.environ.get("BENCH_IMPORT_SIZES", "100000,1000000").split(",") if n]
# BENCH_ONLY=orders runs the baseline and the order scenarios only (a quicker loop while tuning);
# BENCH_ONLY=imports the baseline, the admin import and the supplier push only;
# BENCH_ONLY=open the baseline and the agents' open-API orders paid from a wallet;
# BENCH_ONLY=analytics the baseline and the events/s the analytics consumer keeps up with
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
ROOT = Path(__file__).resolve().parents[1]


def vhost_uri(amqp_uri, vhost):
    api = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
    parts = urlparse(api)
    auth = (parts.username or "guest", parts.password or "guest")
    base = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    try:
        requests.get(f"{base}/api/overview", auth=auth, timeout=10).raise_for_status()
    except requests.RequestException as exc:
        sys.exit(
            f"make bench needs the RabbitMQ management API at {base} (its own vhost is made through it): {exc}\n"
            "  enable it with: rabbitmq-plugins enable rabbitmq_management   (or set RABBIT_API_URI)"
        )
    requests.delete(f"{base}/api/vhosts/{vhost}", auth=auth, timeout=10)
    requests.put(f"{base}/api/vhosts/{vhost}", auth=auth, timeout=10).raise_for_status()
    user = urlparse(amqp_uri).username or "guest"
    requests.put(
        f"{base}/api/permissions/{vhost}/{user}",
        auth=auth,
        timeout=10,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    return amqp_uri.rstrip("/") + "/" + vhost


def start_services(env):
    """One process per service and one for the gateway, as the Kubernetes Deployments run."""
    try:
        requests.get(BASE + "/healthz", timeout=1)
        sys.exit(f"something already listens on port {PORT} (an earlier bench still running?)")
    except requests.ConnectionError:
        pass
    subprocess.run(
        [sys.executable, "-m", "services.catalog.seed"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    workers = [n for n in ALL if n != "gateway"]
    logs = ROOT / "bench-results" / "logs"  # warnings and errors of each process, to read after
    logs.mkdir(parents=True, exist_ok=True)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tools.runner", *names],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"{names[0]}.log").open("w"),
        )
        for names in [[w] for w in workers] + [["gateway"]]
    ]
    for proc, name in zip(procs, [*workers, "gateway"], strict=True):
        proc.service = name
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(BASE + "/healthz", timeout=2).status_code == 200:
                return procs
        except requests.RequestException:
            pass
        time.sleep(0.5)
    for proc in procs:
        proc.kill()
    sys.exit("services did not become healthy")


def wrk(path, connections=32):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{WRK_SECONDS}s", "--latency", BASE + path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def memory_mb(procs, field):
    """Sum over the service processes of VmRSS (now) or VmHWM (peak so far), in MB."""
    total = 0
    for proc in procs:
        status = Path(f"/proc/{proc.pid}/status").read_text()
        total += int(re.search(rf"{field}:\s+(\d+) kB", status).group(1))
    return total // 1024


def idle_cpu_rate(procs, seconds=3.0):
    """CPU seconds per second the idle services use anyway (timers, relays, heartbeats)."""
    before = cpu_s(procs)
    time.sleep(seconds)
    return (cpu_s(procs) - before) / seconds


def cpu_s(procs):
    """User + system CPU seconds used so far by the service processes. Less the idle rate and
    divided by the orders of a scenario: the cost of one order, which other load on the box
    disturbs far less than it disturbs rates."""
    return sum(_cpu_of(proc.pid) for proc in procs)


def _cpu_of(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone meanwhile (a PostgreSQL backend that ended)
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_part(procs):
    """CPU seconds so far of each service process, and of PostgreSQL and RabbitMQ (by process
    name; on this box they serve only the bench)."""
    parts = {proc.service: _cpu_of(proc.pid) for proc in procs}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        part = (
            "postgres"
            if name.startswith("postgres")
            else "rabbitmq"
            if name in ("beam.smp", "erl_child_setup")
            else None
        )
        if part:
            parts[part] = parts.get(part, 0.0) + _cpu_of(pid)
    return parts


def cpu_split(before, after, count):
    """'order 12.0, catalog 8.1, ... (all 80.2 = 95 baseline requests)': ms of CPU per order,
    largest first, and their sum over every process, also as a multiple of the CPU one baseline
    request costs in the same run (`BASELINE_CPU_MS`): a figure the box's speed of the moment
    (another tenant, another run) moves far less than it moves milliseconds."""
    per = {k: (after.get(k, 0.0) - before.get(k, 0.0)) / count * 1000 for k in after}
    total = sum(per.values())
    parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v >= 0.5)
    return f"{parts} (all {total:.1f}{_in_baseline_requests(total)})"


BASELINE_CPU_MS = []  # the CPU of one baseline request over every process, once measured


def _in_baseline_requests(ms):
    return f" = {ms / BASELINE_CPU_MS[0]:.0f} baseline requests" if BASELINE_CPU_MS else ""


def import_codes(sku, count):
    def body():
        batch = 10_000
        for start in range(0, count, batch):
            yield "".join(f"{sku}-{n:09d},pw{n}\n" for n in range(start, min(count, start + batch))).encode()

    started = time.perf_counter()
    response = requests.post(
        f"{BASE}/api/v1/admin/products/{sku}/codes",
        data=body(),
        timeout=900,
        headers={**ADMIN, "Content-Type": "text/plain"},
    )
    seconds = time.perf_counter() - started
    response.raise_for_status()
    assert response.json()["imported"] == count, response.text
    return seconds


PUSH = "/api/v1/supplier/inventory"
PUSH_BATCH = 10_000  # codes per push: the most one may carry


def bench_supplier(db_url, skus):
    """A supplier allowed to push `skus` (approved, enabled, mapped, with a key), set up in its
    tables as the push tests set theirs up."""
    from tests.e2e.supplier.helpers import enrol

    engine = make_engine(db_url)
    try:
        return enrol(engine, DataKeys([DEV_ENV["KAMENG_DATA_KEY"]]), skus)[1]
    finally:
        engine.dispose()


def signed(key, method, path, body=b""):
    headers = signing.headers(key["key_id"], key["secret"], method, path, body)
    return requests.request(
        method, BASE + path, data=body, headers={**headers, "Content-Type": "application/json"}, timeout=120
    )


def push_codes(key, sku, count, in_flight=4):
    """Seconds from the first push sent to the last batch done (imported, counted in stock):
    `count` codes with secrets, as the admin import sends them, in pushes of PUSH_BATCH."""

    def push(start):
        batch = [{"code": f"{sku}-{n:09d}", "secret": f"pw{n}"} for n in range(start, min(count, start + PUSH_BATCH))]
        body = json.dumps({"batch_id": f"{sku}-{start}", "sku": sku, "codes": batch}).encode()
        signed(key, "POST", PUSH, body).raise_for_status()
        return f"{sku}-{start}", len(batch)

    def imported(batch_id):
        while True:
            answer = signed(key, "GET", f"{PUSH}/{batch_id}").json()
            if answer["status"] == "done":
                return answer["imported"]
            time.sleep(0.05)

    started = time.perf_counter()
    sent = list(eventlet.GreenPool(in_flight).imap(push, range(0, count, PUSH_BATCH)))
    for batch_id, size in sent:
        assert imported(batch_id) == size, batch_id
    return time.perf_counter() - started


def new_product(sku, max_quantity=10):
    requests.post(
        BASE + "/api/v1/admin/products",
        headers=ADMIN,
        timeout=10,
        json={
            "sku": sku,
            "name": sku,
            "category": "bench",
            "price": "1.00",
            "delivery": "card",
            "max_quantity": max_quantity,
        },
    ).raise_for_status()


ORDER_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"sku": "%s", "quantity": 1, "contact": "bench@example.com", "payment_channel": "sandbox"}'
"""


def accept_orders(sku):
    script = ROOT / "bench-results" / "order.lua"
    script.parent.mkdir(exist_ok=True)
    script.write_text(ORDER_LUA % sku)
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{WRK_SECONDS}s", "--latency", "-s", str(script), BASE + "/api/v1/orders"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p90 = re.search(r"90%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    ms = lambda m: float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]  # noqa: E731
    return rps, ms(p90), ms(p99), int(errors.group(1)) if errors else 0


def post_order(http, sku, contact, timeout=30):
    """POST /orders for one of `sku`, paid in the sandbox: (the response, seconds it took)."""
    started = time.perf_counter()
    created = http.post(
        BASE + "/api/v1/orders",
        timeout=timeout,
        json={"sku": sku, "quantity": 1, "contact": contact, "payment_channel": "sandbox"},
    )
    return created, time.perf_counter() - started


def accept_latency(sku, total=400, concurrency=8):
    """POST /orders by `concurrency` buyers at a time, each waiting for its answer (with the pay
    link) before the next: {50, 95, 100: ms} of the answers."""
    pool, seconds = eventlet.GreenPool(concurrency), []

    def order(n):
        with requests.Session() as http:
            created, took = post_order(http, sku, f"l{n}@example.com")
            seconds.append(took)
            assert created.status_code == 201 and created.json()["payment"], created.text

    list(pool.imap(order, range(total)))
    return percentiles(seconds)


def open_pay_link(http, order):
    """What a buyer does before paying any real channel: open the pay link (the gateway's
    /pay/{payment_no}, where the payment service makes the intent with the channel)."""
    page = http.get(BASE + "/pay/" + order["payment"]["payment_no"], timeout=60, allow_redirects=False)
    assert page.status_code in (200, 303), page.status_code


def full_purchases(sku, total=300, concurrency=30):
    """create -> open the pay link -> pay -> codes shown, `concurrency` buyers at a time, each
    waiting on the order with the long poll (GET ?status=&wait=). Answers purchases/s and the
    percentiles of pay -> codes visible."""
    session_pool = eventlet.GreenPool(concurrency)
    visible = []

    def purchase(n):
        with requests.Session() as http:

            def look(order, status):  # a long poll, as the pay page does: held until it moves
                return {
                    **order,
                    **http.get(
                        f"{BASE}/api/v1/orders/{order['order_no']}",
                        timeout=30,
                        params={"status": status, "wait": 10},
                        headers={"X-Order-Token": order["token"]},
                    ).json(),
                }

            order = post_order(http, sku, f"b{n}@example.com")[0].json()
            while not order.get("payment"):
                order = look(order, order["status"])
            open_pay_link(http, order)
            paid_at = time.perf_counter()  # from here: the channel's notify to the codes shown
            http.post(f"{BASE}/api/v1/payments/sandbox/{order['payment']['payment_no']}/pay", timeout=30)
            while order["status"] != "completed":
                order = look(order, order["status"])
            visible.append(time.perf_counter() - paid_at)

    started = time.perf_counter()
    list(session_pool.imap(purchase, range(total)))
    rate = total / (time.perf_counter() - started)
    return rate, percentiles(visible)


def percentiles(seconds):
    """{50, 95, 100: milliseconds} of a list of durations in seconds."""
    ordered = sorted(seconds)
    return {p: ordered[max(0, int(len(ordered) * p / 100) - 1)] * 1000 for p in (50, 95, 100)}


def flash_sale(sku, codes, buyers):
    """`buyers` people at once on `codes` codes, each POSTing one order; those who get a pay_url
    pay. Answers (answers by HTTP status, orders completed, distinct codes sold, seconds, {50, 95,
    100: ms} of the create answers, buyers told 201 whose order then ended rejected for stock)."""
    answers, done, codes_seen, answered_in, told_then_rejected = {}, [], [], [], []
    gate = eventlet.event.Event()

    def buyer(n):
        with requests.Session() as http:
            gate.wait()  # everyone at the same moment
            created, took = post_order(http, sku, f"flash{n}@example.com", timeout=60)
            answered_in.append(took)
            answers[created.status_code] = answers.get(created.status_code, 0) + 1
            order = created.json()
            if created.status_code != 201:
                return

            def look():  # the long poll, as the pay page does
                return {
                    **order,
                    **http.get(
                        f"{BASE}/api/v1/orders/{order['order_no']}",
                        timeout=60,
                        params={"status": order["status"], "wait": 15},
                        headers={"X-Order-Token": order["token"]},
                    ).json(),
                }

            while not order.get("payment") and order["status"] not in ("rejected", "expired", "cancelled"):
                order = look()  # accepted, its pay_url not there yet
            if order["status"] == "rejected" and order.get("reason") == "out_of_stock":
                told_then_rejected.append(order["order_no"])
            if not order.get("payment"):
                return
            open_pay_link(http, order)
            http.post(f"{BASE}/api/v1/payments/sandbox/{order['payment']['payment_no']}/pay", timeout=60)
            while order["status"] not in ("completed", "refunded", "rejected"):
                order = look()
            if order["status"] == "completed":
                done.append(order["order_no"])
                codes_seen.extend(item["code"] for item in order["items"])

    pool = [eventlet.spawn(buyer, n) for n in range(buyers)]
    eventlet.sleep(0.5)
    started = time.perf_counter()
    gate.send()
    for green in pool:
        green.wait()
    seconds = time.perf_counter() - started
    return answers, len(done), len(set(codes_seen)), seconds, percentiles(answered_in), len(told_then_rejected)


def reservations(amqp_uri, sku, total, concurrency=50):
    """`total` single-code reservations on one SKU, `concurrency` in flight at once, over RPC."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60) as cluster:
        started, n = time.perf_counter(), 0
        while n < total:
            replies = [
                cluster.catalog.reserve.call_async(f"BENCH-{sku}-{n + i}", sku, 1, 3600)
                for i in range(min(concurrency, total - n))
            ]
            for reply in replies:
                reply.result()
            n += len(replies)
        return total / (time.perf_counter() - started)


def import_scenarios(procs, db_url, base_rps):
    """Codes in, both ways, in the same run: the admin's bulk import, and suppliers' pushes."""
    rows = []
    key = bench_supplier(db_url, [f"BENCH-PUSH-{count}" for count in IMPORT_SIZES])
    for count in IMPORT_SIZES:
        for way, sku, send in [
            ("import", f"BENCH-IMPORT-{count}", import_codes),
            ("supplier push of", f"BENCH-PUSH-{count}", lambda sku, n: push_codes(key, sku, n)),
        ]:
            new_product(sku)
            rss_before = memory_mb(procs, "VmRSS")
            seconds = send(sku, count)
            peak = memory_mb(procs, "VmHWM")
            rate = count / seconds
            rows.append(
                (
                    f"{way} {count:,} codes (encrypted, deduplicated)",
                    f"{rate:,.0f} codes/s",
                    f"{rate / base_rps:.2f}",
                    f"{seconds:.1f} s; services RSS {rss_before} MB before, peak {peak} MB",
                )
            )
    return rows


def catalog_scenarios(procs, amqp, db_url, base_rps):
    rows = []
    for label, path in [
        ("product listing (cached 1 s)", "/api/v1/products"),
        ("product detail (cached 1 s)", "/api/v1/products/DEMO-STEAM-50"),
    ]:
        rps, p99, errors = wrk(path)
        rows.append((label, f"{rps:,.0f} req/s", f"{rps / base_rps:.2f}", f"p99 {p99:.1f} ms, non-2xx {errors}"))
    rows += import_scenarios(procs, db_url, base_rps)
    sku = "BENCH-RESERVE"
    new_product(sku, max_quantity=1)
    import_codes(sku, 20_000)
    rate = reservations(amqp, sku, 5_000)
    rows.append(
        (
            "reservations, 50 in flight on one SKU (RPC)",
            f"{rate:,.0f} /s",
            f"{rate / base_rps:.2f}",
            "SELECT ... FOR UPDATE SKIP LOCKED",
        )
    )
    return rows


BENCH_RULES = {
    "velocity": [
        {"dimension": d, "window_s": 3600, "max": 1_000_000, "action": "review"}
        for d in ("ip", "device", "contact", "recharge_account")
    ],
    "amount": [{"category": "*", "above": 10**9}],
    "quantity": [{"category": "*", "above": 10_000}],
    "unpaid": {"max": 1_000_000},
    "new_contact": {"above": 10**9},
    "repeat_category": {"window_s": 600, "max": 1_000_000},
}


def assessments(amqp_uri, db_url, base_rps, total=3000):
    """Risk assessments per second: `total` risk_assessment_requested events with every rule type
    on (counters in Redis, lists, decision row, outbox), timed until every decision is stored."""
    from nameko.standalone.events import event_dispatcher
    from sqlalchemy import create_engine, text

    from services.common import envelope

    requests.put(BASE + "/api/v1/admin/risk/rules", json=BENCH_RULES, headers=ADMIN, timeout=10).raise_for_status()
    dispatch, run = event_dispatcher({"AMQP_URI": amqp_uri}), f"BENCH-RISK-{int(time.time())}"
    engine = create_engine(db_url)
    started = time.perf_counter()
    for n in range(total):
        dispatch(
            "order",
            "risk_assessment_requested",
            envelope.make(
                "risk_assessment_requested",
                {
                    "order_no": f"{run}-{n}",
                    "ip": f"10.0.{n % 50}.1",
                    "device_id": f"d{n % 200}",
                    "quantity": 1,
                    "contact": f"b{n}@example.com",
                    "sku": "BENCH-ORDERS",
                    "category": "bench",
                    "amount": 990,
                    "payment_channel": "sandbox",
                },
            ),
        )
    with engine.connect() as conn:
        while (
            conn.execute(text("SELECT count(*) FROM risk.decisions WHERE order_no LIKE :p"), {"p": f"{run}-%"}).scalar()
            < total
        ):
            time.sleep(0.05)
    rate = total / (time.perf_counter() - started)
    engine.dispose()
    requests.put(BASE + "/api/v1/admin/risk/rules", json={}, headers=ADMIN, timeout=10)
    return (
        "risk assessments (every rule type on; event in, decision + event out)",
        f"{rate:,.0f} /s",
        f"{rate / base_rps:.2f}",
        "must not be the saga's slowest step: compare reservations/s",
    )


def analytics_events(run, orders):
    """What the services publish for `orders` orders: the order service's digests (100 orders
    each), a payment and a completion per order, a refund per tenth, one batch of views per 100."""
    from services.common import envelope

    def make(type_, data):
        return envelope.make(type_, {**data, "bench": run})

    now = envelope.isoformat(envelope.utcnow())
    events = []
    for start in range(0, orders, 100):
        placed = [
            {
                "order_no": f"{run}-{n}",
                "created_at": now,
                "sku": f"BENCH-A{n % 40}",
                "quantity": 1,
                "amount": 990,
                "currency": "CNY",
                "channel": "sandbox",
                "buyer": f"b{n % 700}",
                "risk_rejected": False,
            }
            for n in range(start, min(orders, start + 100))
        ]
        events.append(("order", "orders_placed", make("orders_placed", {"orders": placed})))
        views = {f"BENCH-A{k}": 3 for k in range(40)}
        events.append(("gateway", "product_views_counted", make("product_views_counted", {"views": views})))
    for n in range(orders):
        order_no = f"{run}-{n}"
        events.append(
            ("payment", "payment_succeeded", make("payment_succeeded", {"order_no": order_no, "amount": 990}))
        )
        done = {"order_no": order_no, "sku": f"BENCH-A{n % 40}", "quantity": 1, "amount": 990, "contact": f"b{n}@x.cn"}
        events.append(("order", "order_completed", make("order_completed", done)))
        if n % 10 == 0:
            events.append(("order", "order_refunded", make("order_refunded", {"order_no": order_no, "amount": 990})))
    return events


def analytics_consumer(procs, env, amqp_uri, db_url, base_rps, orders=2000):
    """Issue 22: events/s the analytics consumer keeps up with -- each logged raw and applied to
    the reporting tables with its inbox row. Its process is stopped while the events are
    published (into its durable queues), then started again: the rate is its own draining of the
    backlog, from the first event applied to the last, not the publisher's."""
    from kombu import Connection, Producer
    from sqlalchemy import create_engine, text

    from services.common.outbox import event_exchange

    run = f"BENCH-AN-{int(time.time())}"
    events = analytics_events(run, orders)
    index = next(i for i, p in enumerate(procs) if p.service == "analytics")
    procs[index].terminate()
    procs[index].wait(30)
    with Connection(amqp_uri) as conn:
        producer = Producer(conn.channel())
        for source, type_, body in events:
            producer.publish(
                body, exchange=event_exchange(source), routing_key=type_, serializer="json", delivery_mode=2
            )
    log = (ROOT / "bench-results" / "logs" / "analytics.log").open("a")
    procs[index] = subprocess.Popen(
        [sys.executable, "-m", "tools.runner", "analytics"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log
    )
    procs[index].service = "analytics"
    engine = create_engine(db_url)
    count = text("SELECT count(*) FROM analytics.events WHERE envelope->'data'->>'bench' = :run")
    with engine.connect() as conn:
        while (first := conn.execute(count, {"run": run}).scalar()) == 0:
            time.sleep(0.02)
        started = time.perf_counter()
        while (done := conn.execute(count, {"run": run}).scalar()) < len(events):
            time.sleep(0.05)
    rate = (done - first) / (time.perf_counter() - started)
    engine.dispose()
    return (
        f"analytics consumer: a backlog of {len(events):,} events ({orders:,} orders: digests, payments, "
        "completions, refunds, views) drained",
        f"{rate:,.0f} events/s",
        f"{rate / base_rps:.2f}",
        "each event logged raw and applied with its inbox row, in batches; the order path sends nothing for it",
    )


def order_scenarios(procs, base_rps):
    rows = []
    sku = "BENCH-ORDERS"
    new_product(sku, max_quantity=1)
    import_codes(sku, 30_000)
    idle = idle_cpu_rate(procs)
    cpu, parts, started = cpu_s(procs), cpu_by_part(procs), time.perf_counter()
    rps, p90, p99, errors = accept_orders(sku)
    per_order = (cpu_s(procs) - cpu - idle * (time.perf_counter() - started)) / (rps * WRK_SECONDS) * 1000
    split = cpu_split(parts, cpu_by_part(procs), rps * WRK_SECONDS)
    rows.append(("idle services (timers, relays, heartbeats)", f"{idle * 1000:.0f} ms CPU/s", "", ""))
    rows.append(
        (
            "order acceptance (POST /orders, waits for pay_url)",
            f"{rps:,.0f} orders/s",
            f"{rps / base_rps:.2f}",
            f"p90 {p90:.0f} ms, p99 {p99:.0f} ms, non-2xx {errors}; service CPU {per_order:.1f} ms/order",
        )
    )
    rows.append(("CPU per accepted order, by process (idle included)", "", "", f"ms: {split}"))
    answered = accept_latency(sku)
    rows.append(
        (
            "order acceptance, 8 buyers at a time",
            f"p95 {answered[95]:.0f} ms",
            "",
            f"p50 {answered[50]:.0f} ms, max {answered[100]:.0f} ms",
        )
    )
    cpu, parts, total, started = cpu_s(procs), cpu_by_part(procs), 300, time.perf_counter()
    spies = profile.start(procs, 15, ROOT / "bench-results")  # BENCH_PROFILE=1 only
    rate, visible = full_purchases(sku, total)
    per_order = (cpu_s(procs) - cpu - idle * (time.perf_counter() - started)) / total * 1000
    split = cpu_split(parts, cpu_by_part(procs), total)
    rows.append(
        (
            "full purchase (create, pay, codes shown), 30 buyers",
            f"{rate:,.0f} purchases/s",
            f"{rate / base_rps:.2f}",
            f"pay -> codes visible p95 {visible[95]:.0f} ms; service CPU {per_order:.1f} ms/purchase",
        )
    )
    rows.append(("CPU per full purchase, by process (idle included)", "", "", f"ms: {split}"))
    profile.finish(spies, ROOT / "bench-results")
    rate, visible = full_purchases(sku, 100, concurrency=4)
    rows.append(
        (
            "payment notify -> codes visible, 4 buyers at a time",
            f"p95 {visible[95]:.0f} ms",
            "",
            f"p50 {visible[50]:.0f} ms, max {visible[100]:.0f} ms ({rate:,.1f} purchases/s)",
        )
    )
    sku = "BENCH-FLASH"
    new_product(sku, max_quantity=1)
    import_codes(sku, 100)
    answers, completed, distinct, seconds, answered, rejected = flash_sale(sku, codes=100, buyers=500)
    errors = sum(n for status, n in answers.items() if status >= 500)
    rows.append(
        (
            "flash sale: 500 buyers at once for 100 codes",
            f"{completed} sold",
            "",
            f"answers {dict(sorted(answers.items()))}, {distinct} distinct codes, 5xx {errors}, "
            f"create answered p95 {answered[95]:.0f} ms (max {answered[100]:.0f}), "
            f"told 201 then rejected for stock {rejected} ({rejected / 500:.1%}), all settled in {seconds:.1f} s",
        )
    )
    return rows


OPEN_ORDERS = "/api/v1/open/orders"


def bench_agent(amqp_uri, sku, funds):
    """An agent with a key and a wallet of `funds` fen, its level priced for `sku` (through the
    account and catalog services, as the admin routes do): the key."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        rpc.account.put_agent_level("bench", {"name": "bench-gold", "rank": 1})
        agent = rpc.account.create_agent(
            "bench", {"name": "bench agent", "contact": "agent@example.com", "parent": None, "level": "bench-gold"}
        )
        rpc.catalog.set_level_price("bench", sku, "agent:bench-gold", 90)
        rpc.account.adjust_agent_wallet("bench", agent["id"], {"amount": funds, "reason": "bench"}, "bench-top-up")
        return rpc.account.issue_agent_key("bench", agent["id"])


def open_orders(key, sku, total=1500, concurrency=32):
    """Signed POST /open/orders, `concurrency` shops at a time (wrk cannot sign): (orders/s of
    201 answers, the statuses seen)."""
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=concurrency))
    statuses: dict[int, int] = {}

    def one(n):
        body = json.dumps({"agent_order_id": f"bench-{n}", "sku": sku, "quantity": 1}).encode()
        headers = signing.headers(key["key_id"], key["secret"], "POST", OPEN_ORDERS, body)
        answer = http.post(
            BASE + OPEN_ORDERS, data=body, headers={**headers, "Content-Type": "application/json"}, timeout=30
        )
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    started = time.perf_counter()
    list(eventlet.GreenPool(concurrency).imap(one, range(total)))
    return statuses.get(201, 0) / (time.perf_counter() - started), statuses


def open_scenarios(procs, amqp_uri, base_rps):
    """Issue 19: agents' orders by the open API, paid from the wallet at creation."""
    sku, total = "BENCH-OPEN", 1500
    new_product(sku, max_quantity=1)
    import_codes(sku, total + 100)
    key = bench_agent(amqp_uri, sku, funds=100 * total)
    cpu, started = cpu_s(procs), time.perf_counter()
    rate, statuses = open_orders(key, sku, total)
    per_order = (cpu_s(procs) - cpu) / max(1, statuses.get(201, 0)) * 1000
    return [
        (
            "open-API orders paid from a wallet (signed POST /open/orders), 32 shops",
            f"{rate:,.0f} orders/s",
            f"{rate / base_rps:.2f}",
            f"answers {dict(sorted(statuses.items()))}; service CPU {per_order:.1f} ms/order "
            f"(load generator: Python, signing each call; {time.perf_counter() - started:.1f} s)",
        )
    ]


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # so `finally` stops the services
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    s = settings()
    db_url = make_url(s.database_url).set(database="kameng_bench").render_as_string(hide_password=False)
    migrate.drop_database(db_url)
    migrate.upgrade(db_url)
    amqp = vhost_uri(s.amqp_uri, "kameng_bench")
    env = {
        **os.environ,
        **DEV_ENV,
        "KAMENG_DATABASE_URL": db_url,
        "KAMENG_AMQP_URI": amqp,
        "KAMENG_HTTP_PORT": str(PORT),
        "KAMENG_LOG_LEVEL": "WARNING",
        "KAMENG_RATE_LIMITS": "off",
    }
    procs = start_services(env)
    rows = []
    try:
        parts = cpu_by_part(procs)  # idle included, as in the scenarios' splits
        base_rps, base_p99, _ = wrk("/ping")
        spent = sum(cpu_by_part(procs).values()) - sum(parts.values())
        BASELINE_CPU_MS.append(spent / (base_rps * WRK_SECONDS) * 1000)
        rows.append(
            (
                "baseline: GET /ping (gateway -> RPC echo)",
                f"{base_rps:,.0f} req/s",
                "1.00",
                f"p99 {base_p99:.1f} ms; CPU {BASELINE_CPU_MS[0]:.2f} ms per request over every process",
            )
        )
        if not ONLY:
            rows += catalog_scenarios(procs, amqp, db_url, base_rps)
        elif "imports" in ONLY:
            rows += import_scenarios(procs, db_url, base_rps)
        if not ONLY or "open" in ONLY:
            rows += open_scenarios(procs, amqp, base_rps)
        if not ONLY or ONLY & {"orders", "risk"}:
            rows += order_scenarios(procs, base_rps)
        if not ONLY or "analytics" in ONLY:
            rows.append(analytics_consumer(procs, env, amqp, db_url, base_rps))
        if not ONLY or "risk" in ONLY:  # last: its 3000 decisions go on to the order service as events
            rows.append(assessments(amqp, db_url, base_rps))
    finally:
        for proc in reversed(procs):  # the gateway first
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    table = ["| scenario | figure | ratio to baseline | notes |", "|---|---|---|---|"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    header = f"kameng bench, {time.strftime('%Y-%m-%d %H:%M:%S')} ({os.cpu_count()} cores, everything on one box)\n"
    text = header + "\n".join(table) + "\n"
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.md").write_text(text)
    print("\n" + text)


if __name__ == "__main__":
    main()
