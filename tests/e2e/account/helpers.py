"""Accounts through the gateway: buyers (sign up, read their mail from the test SMTP sink, sign
in) and the staff tests' look at the rows the services left."""

import re
from email import message_from_bytes, policy

from sqlalchemy import create_engine, text

from services.common.testing import unique, wait_until
from tests.e2e.helpers import Api

PASSWORD = "correct horse battery 42"
VALID_ID = "11010519491231002X"  # GB 11643-1999's own example


def new_email():
    return f"{unique('buyer').lower()}@example.com"


def register(api, email=None, password=PASSWORD, **fields):
    body = {"email": email or new_email(), "password": password, **fields}
    return api.post("/api/v1/account/register", json=body)


def signed_up(system, **fields):
    """A new client signed in as a new buyer: (client, the buyer's profile)."""
    client = Api(system["BASE_URL"])
    made = register(client, **fields)
    assert made.status_code == 201, made.text
    return client, made.json()


def sign_in(api, login, password=PASSWORD):
    return api.post("/api/v1/account/sign-in", json={"login": login, "password": password})


def mails_to(folder, address, subject_part):
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address and subject_part in message["Subject"]:
            found.append(message.get_body().get_content())
    return found


def link_token(folder, address, subject_part, path):
    """The token of the newest one-time link mailed to `address` (waits for the mail)."""
    body = wait_until(lambda: mails_to(folder, address, subject_part), timeout=15, message=f"a mail to {address}")[-1]
    return re.search(rf"{re.escape(path)}\?token=([A-Za-z0-9_-]+)", body).group(1)


def rows(config, sql, **params):
    engine = create_engine(config["DATABASE_URL"])
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def audit(config, schema, action, subject=None):
    where = "action = :action" + (" AND subject = :subject" if subject is not None else "")
    return rows(
        config,
        f"SELECT actor, data FROM {schema}.audit WHERE {where} ORDER BY id",
        action=action,
        subject=subject,
    )


def csrf_header(api):
    return {"X-CSRF-Token": re.search(r'<meta name="csrf-token" content="([^"]+)"', api.get("/admin").text).group(1)}
