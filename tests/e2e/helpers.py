"""Helpers shared by the end-to-end tests (the whole system started in-process, driven over HTTP)."""

import re
import time
from datetime import UTC, datetime

import requests

from gateway.service import GatewayService
from gateway.waits import Board
from services.common.testing import unique
from tools.runner import ALL, service_class

WORKERS = [service_class(name) for name in ALL if name != "gateway"]


def start_system(config, runner_factory, workers=WORKERS):
    """Every service (or those given) and the gateway, in-process, on the test vhost and database.
    Answers the workers' runner; its `gateway` is the gateway's (stop that first)."""
    runner = runner_factory(config, *workers)
    runner.start()
    gateway = runner_factory({**config, "max_workers": 200}, GatewayService)
    gateway.start()
    runner.gateway = gateway
    return runner


class Api(requests.Session):
    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and "Traceback" not in response.text
    assert response.headers["X-Request-Id"]
    return body["error"]


def new_product(**fields):
    product = {
        "sku": unique("SKU"),
        "name": "测试卡 50",
        "category": "测试",
        "price": "9.90",
        "delivery": "card",
        "min_quantity": 1,
        "max_quantity": 5,
        "description": "x",
        "low_stock_threshold": 3,
    }
    product.update(fields)
    return product


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


BOOTSTRAP = "dev-admin-token"
BOOTSTRAP_ACTOR = "bootstrap-token (owner) from 127.0.0.1"  # how the bootstrap token is audited
STAFF_PASSWORD = "plum-Kettle-47-river"


def new_staff(api, role="owner", password=STAFF_PASSWORD):
    """A staff member made with the bootstrap token: {"id", "email", "password", "role", "actor"}."""
    email = f"{unique('staff').lower()}@example.com"
    made = api.post(
        "/api/v1/admin/staff",
        json={"email": email, "name": f"Staff {role}", "role": role, "password": password},
        headers={"Authorization": f"Bearer {BOOTSTRAP}"},
    )
    assert made.status_code == 201, made.text
    member = made.json()
    return {**member, "password": password, "actor": f"staff:{member['id']} {email} ({role}) from 127.0.0.1"}


def totp_code(member):
    """A TOTP code the account service has not seen yet (each is good once; one step either side
    of now is accepted): this step's, else the next one's, else wait for a new step."""
    import pyotp

    totp = pyotp.TOTP(member["secret"])
    for _ in range(3):
        step = totp.timecode(datetime.now(UTC))
        for candidate in (step, step + 1):
            if candidate > member.get("last_step", 0):
                member["last_step"] = candidate
                return totp.generate_otp(candidate)
        time.sleep(max(0.1, (step + 1) * totp.interval - time.time() + 0.2))
    raise AssertionError("no fresh TOTP code")


def sign_in(api, member, code=None):
    """The console's sign-in form: answers the POST's response (303 on success)."""
    page = api.get("/admin/login")
    form = {"email": member["email"], "password": member["password"], "csrf": csrf_of(page)}
    if code is not None or member.get("secret"):
        form["code"] = code if code is not None else totp_code(member)
    return api.post("/admin/login", data=form, allow_redirects=False)


def enrol(api, member):
    """The first sign-in's TOTP enrolment: keeps the secret and the recovery codes on `member`."""
    page = api.get("/admin/enrol")
    assert page.status_code == 200, page.text
    member["secret"] = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    assert re.search(r'href="otpauth://totp/[^"]+secret=' + member["secret"], page.text)
    done = api.post("/admin/enrol", data={"code": totp_code(member), "csrf": csrf_of(page)})
    assert done.status_code == 200 and "data-recovery-code" in done.text, done.text
    member["codes"] = re.findall(r"<code data-recovery-code>([0-9a-f-]+)</code>", done.text)
    return member


def admin_session(api, role="owner"):
    """`api` signed in to the console as a new staff member (made with the bootstrap token, TOTP
    set up as at a first sign-in, then signed in again with a code): answers the sign-in's
    response; the member is on `api.staff`."""
    member = new_staff(api, role)
    first = sign_in(api, member)
    assert first.status_code == 303 and first.headers["Location"] == "/admin/enrol", first.text
    enrol(api, member)
    api.post("/admin/logout", data={"csrf": csrf_of(api.get("/admin"))})
    signed_in = sign_in(api, member)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/admin", signed_in.text
    api.staff = member
    return signed_in


def holding(monkeypatch):
    """`held = holding(monkeypatch)`; then `held(order_no)` tells whether the gateway is holding an
    answer about the order now, waiting for it to move (gateway/waits.py): its Board, seen through
    a pass-through wrapper around Board.wait."""
    boards, wait = set(), Board.wait

    def recorded(board, *args, **kwargs):
        boards.add(board)
        return wait(board, *args, **kwargs)

    monkeypatch.setattr(Board, "wait", recorded)
    return lambda order_no: any(order_no in board.waiting for board in boards)


def opened(api, order):
    """The order as its buyer has it after opening the pay link (the gateway's /pay/ page, which
    has the payment service make the intent): `payment.pay_url` becomes the channel's cashier
    where the gateway redirects to one, and stays the page that shows a QR code otherwise."""
    page = api.get("/" + order["payment"]["pay_url"].split("/", 3)[3], allow_redirects=False)
    assert page.status_code in (200, 303), page.text
    if page.status_code == 303:
        return {**order, "payment": {**order["payment"], "pay_url": page.headers["Location"]}}
    return order
