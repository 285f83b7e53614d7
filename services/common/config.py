"""Settings from environment variables (DESIGN §6), each with a documented default.

`settings()` reads the environment once per call; `nameko_config()` turns the settings into the
dict a nameko container expects. Nothing else in the code reads `os.environ`.
"""

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

# Defaults are safe for production: no data key, no admin token, no sandbox. `make run` and the
# tests pass the dev values below explicitly (and `make run` prints them).
DEV_ENV = {
    "KAMENG_DATA_KEY": "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZC0=",  # a Fernet key; dev only
    "KAMENG_ADMIN_TOKEN": "dev-admin-token",
    "KAMENG_SANDBOX_PAYMENTS": "1",
    "KAMENG_SMTP_URL": "smtp://127.0.0.1:8025",
    "KAMENG_MAIL_SINK": "var/mail",
    "KAMENG_SUPPLIER_SIM": "127.0.0.1:8090",
}

SERVICES = ("catalog", "order", "payment", "delivery", "risk", "account", "supplier", "support", "notify", "analytics")

# name: (default, meaning) -- `make run` prints these, README documents them.
DEFAULTS = {
    "KAMENG_HTTP_PORT": ("8000", "gateway port"),
    "KAMENG_AMQP_URI": ("amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ"),
    "KAMENG_DATABASE_URL": ("postgresql://postgres@127.0.0.1:5432/kameng", "PostgreSQL"),
    "KAMENG_DATA_KEY": ("", "Fernet key(s) for codes at rest, newest first, comma-separated"),
    "KAMENG_ADMIN_TOKEN": ("", "bootstrap token: the first owner, then owner automation; empty: off"),
    "KAMENG_SANDBOX_PAYMENTS": ("0", "1 enables the sandbox payment channel"),
    "KAMENG_PAYMENT_WINDOW_S": ("900", "payment window in seconds"),
    "KAMENG_RISK_REVIEW_WINDOW_S": ("1800", "how long an order held for risk review keeps its stock"),
    "KAMENG_RISK_ANSWER_S": ("1", "how long creating an order waits for risk's answer before going on by events"),
    "KAMENG_DELIVER_ANSWER_S": (
        "10",
        "how long a paid order waits for the catalog to commit its codes before the sweeper sends it on by events",
    ),
    "KAMENG_SUPPLIER_TIMEOUT_S": ("10", "how long a call to a supplier's API waits before the outcome is unknown"),
    "KAMENG_SUPPLIER_HOURLY_CAP": (
        "100000",
        "most a SKU's auto-replenishment may spend per hour, in minor units, unless its sourcing sets its own",
    ),
    "KAMENG_PUBLIC_URL": ("http://127.0.0.1:8000", "public base URL"),
    "KAMENG_ENV": (
        "",
        "production: refuse to start with the dev data key, the dev admin token or sandbox payments "
        "(an https KAMENG_PUBLIC_URL means production too); empty or development: no such check",
    ),
    "KAMENG_TRUSTED_PROXIES": ("", "CIDRs whose X-Forwarded-For is believed"),
    "KAMENG_RATE_LIMITS": (
        "orders=30/m,lookup=60/m,notify=600/m,supplier=600/m,contact_lookup=20/h,login=10/m,auth=20/m",
        "per-client-IP limits (contact_lookup: per contact; auth: failed credentials of any kind), or off",
    ),
    "KAMENG_REDIS_URL": ("redis://127.0.0.1:6379/0", "Redis, for rate-limit counters shared by gateways"),
    "KAMENG_MAX_BODY_BYTES": ("1048576", "largest request body the gateway reads (bulk imports excepted)"),
    "KAMENG_RPC_TIMEOUT_S": ("5", "deadline of every RPC call"),
    "KAMENG_CODE_READERS": (
        "",
        "broker users (comma-separated) whose RPCs may get decrypted codes from the catalog, checked "
        "by the AMQP user_id RabbitMQ validates; empty: no check (development: one shared user)",
    ),
    "KAMENG_AMQP_CA_FILE": (
        "",
        "CA certificate (PEM) that the broker's TLS certificate must chain to, with its host name; "
        "set with an amqps:// KAMENG_AMQP_URI; empty: the system's CAs decide, for amqps",
    ),
    "KAMENG_AMQP_PREDECLARED": (
        "0",
        "1: the shared exchanges (nameko-rpc, every <service>.events) are the broker's to make "
        "(production: rabbitmq-users.yaml); services only check they exist, needing no configure on them",
    ),
    "KAMENG_HEALTH_TIMEOUT_S": ("2", "deadline for /healthz to hear from every service"),
    "KAMENG_EVENT_MAX_ATTEMPTS": ("5", "tries of an event handler before its message is dead-lettered"),
    "KAMENG_EVENT_RETRY_DELAY_MS": ("500", "first retry delay; doubles per try"),
    "KAMENG_EVENT_BATCH_MAX": ("50", "most events a batched saga handler takes in one transaction"),
    "KAMENG_EVENT_BATCH_WORKERS": ("2", "batches of one queue handled at once per service process"),
    "KAMENG_EVENT_BATCH_PREFETCH": ("64", "unacknowledged events a batched handler's queue may hold"),
    "KAMENG_OUTBOX_POLL_S": ("0.5", "outbox relay poll interval (it is also woken on commit)"),
    "KAMENG_MAX_WORKERS": ("10", "concurrent workers (and prefetch) per service"),
    "KAMENG_GATEWAY_MAX_WORKERS": ("200", "concurrent HTTP requests per gateway (they mostly wait)"),
    "KAMENG_ORDER_WAIT_S": ("3", "how long POST /orders waits for the pay_url before answering pending"),
    "KAMENG_METRICS_PORT": ("", "serve /metrics on this port in worker processes (empty: off)"),
    "KAMENG_SMTP_URL": ("", "smtp://host:port (or smtps://user:pass@host:port) for buyer e-mail; empty: off"),
    "KAMENG_MAIL_FROM": ("kameng <noreply@localhost>", "sender of buyer e-mail"),
    "KAMENG_MAIL_CODES": ("0", "1 puts the codes themselves in the completion e-mail (merchant's choice)"),
    "KAMENG_MAIL_SINK": ("", "dev: run the local SMTP sink, keeping messages in this folder"),
    "KAMENG_NOTIFY_STAFF_EMAILS": (
        "",
        "support staff e-mails for SLA warnings and escalations, comma-separated; `addr:en` for English",
    ),
    "KAMENG_SUPPLIER_SIM": ("", "dev: run the supplier simulator on this host:port, with a demo supplier using it"),
    "KAMENG_LOG_LEVEL": ("INFO", "log level"),
    "KAMENG_AGENT_MAX_DEPTH": ("5", "deepest agent tree allowed: 1 is top-level agents only"),
    "KAMENG_COMMISSION_SETTLE_DAYS": (
        "7",
        "days after an agent order completes before its profit shares can be withdrawn",
    ),
    # points and referral cashback (issue 22): every KAMENG_POINTS_* and KAMENG_REFERRAL_* setting
    # reaches the services' config with KAMENG_ dropped (see `loyalty_settings`)
    "KAMENG_POINTS_PER_YUAN": ("1", "points a member earns per yuan paid for a completed order; 0: none"),
    "KAMENG_POINTS_VALUE_FEN": ("1", "what one point takes off an order, in fen"),
    "KAMENG_POINTS_MAX_PERCENT": ("50", "most of an order's total points may pay, in percent (at least 0.01 is paid)"),
    "KAMENG_POINTS_EXPIRE_DAYS": ("365", "days after which points earned expire"),
    "KAMENG_POINTS_COUNT_TOWARD_LEVELS": ("0", "1: points earned count toward member levels (at their value)"),
    "KAMENG_REFERRAL_CASHBACK_PERCENT": ("5", "referral cashback, percent of the referred buyer's order paid"),
    "KAMENG_REFERRAL_EVERY_ORDER": ("0", "1: cashback on every order of the referred buyer; 0: the first only"),
    "KAMENG_SHOP_TIMEZONE": ("Asia/Shanghai", "the shop's time zone: the storefront shows times in it, named"),
    # payment channels (services/payment/channels/): every KAMENG_<CHANNEL>_* setting below reaches
    # the payment service's config as <CHANNEL>_* (see `channel_settings`)
    "KAMENG_PAYMENT_CHANNELS": (
        "",
        "real payment channels enabled, comma-separated (epay, alipay, wechat, usdt); "
        "an enabled channel with an empty setting stops the payment service",
    ),
    "KAMENG_PAYMENT_RECONCILE_AFTER_S": (
        "120",
        "reconciliation asks the channel about a payment still open this long after creation",
    ),
    "KAMENG_PAYMENT_RECONCILE_EVERY_S": ("60", "and again at most this often, for a day"),
    "KAMENG_PAYMENT_REFUND_RETRY_S": ("30", "first delay before a failed refund is tried again; doubles per try"),
    "KAMENG_EPAY_PID": ("", "易支付 merchant id (pid)"),
    "KAMENG_EPAY_VERSION": ("1", "易支付 protocol: 1 (MD5, submit.php/api.php) or 2 (RSA, api/pay/*)"),
    "KAMENG_EPAY_KEY": ("", "易支付 V1 merchant key (MD5 signing)"),
    "KAMENG_EPAY_URL": ("", "易支付 gateway base URL (V1: submit.php and api.php, V2: api/pay/* live under it)"),
    "KAMENG_EPAY_PRIVATE_KEY": (
        "",
        "易支付 V2: our merchant RSA private key that signs requests (a PEM file's path, or the PEM text)",
    ),
    "KAMENG_EPAY_PLATFORM_PUBLIC_KEY": (
        "",
        "易支付 V2: the platform's RSA public key that verifies notifies and answers "
        "(a PEM file's path, or the PEM text)",
    ),
    "KAMENG_EPAY_TYPE": (
        "",
        "易支付 V2: the `type` sent to api/pay/create (alipay, wxpay, ...); empty: not sent",
    ),
    "KAMENG_USDT_ADDRESS": ("", "our TRC20 receiving address"),
    "KAMENG_USDT_CNY_RATE": ("", "CNY per USDT used to price a payment, e.g. 7.20"),
    "KAMENG_USDT_CONFIRMATIONS": ("20", "confirmations before a USDT transfer counts as paid"),
    "KAMENG_USDT_CONTRACT": ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "USDT's TRC20 contract"),
    "KAMENG_USDT_NODE_URL": ("https://api.trongrid.io", "TronGrid (or a compatible node) base URL"),
    "KAMENG_USDT_API_KEY": ("", "TronGrid API key (TRON-PRO-API-KEY), optional"),
    "KAMENG_USDT_WATCH_S": ("5", "how often the watcher asks the chain about each open USDT payment"),
    "KAMENG_USDT_CHAIN_CLIENT": ("trongrid", "chain client: trongrid, or module:attribute of another"),
    "KAMENG_ALIPAY_APP_ID": ("", "Alipay open platform app id"),
    "KAMENG_ALIPAY_SELLER_ID": ("", "Alipay seller id (2088...), checked in every notify"),
    "KAMENG_ALIPAY_PRIVATE_KEY": ("", "path of our app private key (PEM, RSA 2048) that signs requests"),
    "KAMENG_ALIPAY_PUBLIC_KEY": ("", "path of Alipay's public key (PEM) that verifies notifies and answers"),
    "KAMENG_ALIPAY_URL": ("", "Alipay gateway, e.g. https://openapi.alipay.com/gateway.do"),
    "KAMENG_WECHAT_MCHID": ("", "WeChat Pay merchant id"),
    "KAMENG_WECHAT_APPID": ("", "WeChat app id bound to the merchant"),
    "KAMENG_WECHAT_APIV3_KEY": ("", "API v3 key (32 characters) that decrypts notifies"),
    "KAMENG_WECHAT_PRIVATE_KEY": ("", "path of our merchant API private key (PEM) that signs requests"),
    "KAMENG_WECHAT_CERT_SERIAL": ("", "serial number of our merchant API certificate"),
    "KAMENG_WECHAT_PLATFORM_CERT": (
        "",
        "path(s), comma-separated, of the WeChat Pay platform certificate(s) "
        "(PEM) that verify notifies and answers (several while WeChat rotates)",
    ),
    "KAMENG_WECHAT_PUBLIC_KEY_ID": (
        "",
        "PUB_KEY_ID_... of the WeChat Pay platform public key, when a path in "
        "KAMENG_WECHAT_PLATFORM_CERT is that key rather than a certificate",
    ),
    "KAMENG_WECHAT_URL": ("", "WeChat Pay API base URL, e.g. https://api.mch.weixin.qq.com"),
}

LOYALTY_PREFIXES = ("KAMENG_POINTS_", "KAMENG_REFERRAL_")
CHANNEL_PREFIXES = ("KAMENG_PAYMENT_", "KAMENG_EPAY_", "KAMENG_ALIPAY_", "KAMENG_WECHAT_", "KAMENG_USDT_")


def env(name: str) -> str:
    return os.environ.get(name, DEFAULTS[name][0])


@dataclass(frozen=True)
class Settings:
    http_port: int
    amqp_uri: str
    database_url: str
    data_keys: tuple[str, ...]
    admin_token: str
    sandbox_payments: bool
    payment_window_s: int
    risk_review_window_s: int
    risk_answer_s: float
    deliver_answer_s: float
    supplier_timeout_s: float
    supplier_hourly_cap: int
    public_url: str
    env: str
    trusted_proxies: tuple[str, ...]
    rate_limits: str
    redis_url: str
    max_body_bytes: int
    rpc_timeout_s: float
    health_timeout_s: float
    event_max_attempts: int
    event_retry_delay_ms: int
    event_batch_max: int
    event_batch_workers: int
    event_batch_prefetch: int
    outbox_poll_s: float
    max_workers: int
    gateway_max_workers: int
    order_wait_s: float
    metrics_port: int | None
    log_level: str
    smtp_url: str
    mail_from: str
    mail_codes: bool
    mail_sink: str
    supplier_sim: str
    channel_settings: dict[str, Any] = field(default_factory=dict)
    loyalty_settings: dict[str, str] = field(default_factory=dict)
    agent_max_depth: int = 5
    commission_settle_days: float = 7
    code_readers: tuple[str, ...] = ()
    notify_staff_emails: tuple[str, ...] = ()
    amqp_ca_file: str = ""
    amqp_predeclared: bool = False
    shop_timezone: str = "Asia/Shanghai"
    extra: dict[str, Any] = field(default_factory=dict)


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def settings() -> Settings:
    return Settings(
        http_port=int(env("KAMENG_HTTP_PORT")),
        amqp_uri=env("KAMENG_AMQP_URI"),
        database_url=env("KAMENG_DATABASE_URL"),
        data_keys=_csv(env("KAMENG_DATA_KEY")),
        admin_token=env("KAMENG_ADMIN_TOKEN"),
        sandbox_payments=env("KAMENG_SANDBOX_PAYMENTS") == "1",
        payment_window_s=int(env("KAMENG_PAYMENT_WINDOW_S")),
        risk_review_window_s=int(env("KAMENG_RISK_REVIEW_WINDOW_S")),
        risk_answer_s=float(env("KAMENG_RISK_ANSWER_S")),
        deliver_answer_s=float(env("KAMENG_DELIVER_ANSWER_S")),
        supplier_timeout_s=float(env("KAMENG_SUPPLIER_TIMEOUT_S")),
        supplier_hourly_cap=int(env("KAMENG_SUPPLIER_HOURLY_CAP")),
        public_url=env("KAMENG_PUBLIC_URL").rstrip("/"),
        env=env("KAMENG_ENV").strip().lower(),
        trusted_proxies=_csv(env("KAMENG_TRUSTED_PROXIES")),
        rate_limits=env("KAMENG_RATE_LIMITS"),
        redis_url=env("KAMENG_REDIS_URL"),
        max_body_bytes=int(env("KAMENG_MAX_BODY_BYTES")),
        rpc_timeout_s=float(env("KAMENG_RPC_TIMEOUT_S")),
        health_timeout_s=float(env("KAMENG_HEALTH_TIMEOUT_S")),
        event_max_attempts=int(env("KAMENG_EVENT_MAX_ATTEMPTS")),
        event_retry_delay_ms=int(env("KAMENG_EVENT_RETRY_DELAY_MS")),
        event_batch_max=int(env("KAMENG_EVENT_BATCH_MAX")),
        event_batch_workers=int(env("KAMENG_EVENT_BATCH_WORKERS")),
        event_batch_prefetch=int(env("KAMENG_EVENT_BATCH_PREFETCH")),
        outbox_poll_s=float(env("KAMENG_OUTBOX_POLL_S")),
        max_workers=int(env("KAMENG_MAX_WORKERS")),
        gateway_max_workers=int(env("KAMENG_GATEWAY_MAX_WORKERS")),
        order_wait_s=float(env("KAMENG_ORDER_WAIT_S")),
        metrics_port=int(env("KAMENG_METRICS_PORT")) if env("KAMENG_METRICS_PORT") else None,
        log_level=env("KAMENG_LOG_LEVEL"),
        smtp_url=env("KAMENG_SMTP_URL"),
        mail_from=env("KAMENG_MAIL_FROM"),
        mail_codes=env("KAMENG_MAIL_CODES") == "1",
        mail_sink=env("KAMENG_MAIL_SINK"),
        supplier_sim=env("KAMENG_SUPPLIER_SIM"),
        channel_settings=channel_settings(),
        loyalty_settings=loyalty_settings(),
        agent_max_depth=int(env("KAMENG_AGENT_MAX_DEPTH")),
        commission_settle_days=float(env("KAMENG_COMMISSION_SETTLE_DAYS")),
        code_readers=_csv(env("KAMENG_CODE_READERS")),
        notify_staff_emails=_csv(env("KAMENG_NOTIFY_STAFF_EMAILS")),
        amqp_ca_file=env("KAMENG_AMQP_CA_FILE"),
        amqp_predeclared=env("KAMENG_AMQP_PREDECLARED") == "1",
        shop_timezone=env("KAMENG_SHOP_TIMEZONE"),
    )


def is_production(s: Settings) -> bool:
    """KAMENG_ENV=production, or a public URL under https (nobody serves a test shop on TLS)."""
    return s.env == "production" or s.public_url.lower().startswith("https://")


def production_problems(s: Settings) -> list[str]:
    """Why these settings must not run in production (none outside production)."""
    if not is_production(s):
        return []
    problems = []
    if DEV_ENV["KAMENG_DATA_KEY"] in s.data_keys:
        problems.append("KAMENG_DATA_KEY holds the development data key (it is public: in the repository)")
    if s.admin_token == DEV_ENV["KAMENG_ADMIN_TOKEN"]:
        problems.append("KAMENG_ADMIN_TOKEN is the development token")
    if s.sandbox_payments:
        problems.append("KAMENG_SANDBOX_PAYMENTS=1: anybody could pay with the sandbox")
    return problems


def refuse_unsafe_production(s: Settings) -> None:
    """Every process's first step (tools/runner.py): stop, saying why, when production would run
    with development secrets or the sandbox."""
    problems = production_problems(s)
    if problems:
        why = "production (KAMENG_ENV=production or an https KAMENG_PUBLIC_URL) refuses to start: " + "; ".join(
            problems
        )
        raise SystemExit(why)


def channel_settings() -> dict[str, Any]:
    """The payment channels' settings, KAMENG_ dropped: {"EPAY_PID": ..., "PAYMENT_CHANNELS": (...)}."""
    values: dict[str, Any] = {
        name[len("KAMENG_") :]: env(name) for name in DEFAULTS if name.startswith(CHANNEL_PREFIXES)
    }
    values["PAYMENT_CHANNELS"] = _csv(values["PAYMENT_CHANNELS"])
    return values


def loyalty_settings() -> dict[str, str]:
    """Points and referral settings, KAMENG_ dropped: {"POINTS_PER_YUAN": "1", ...} (issue 22)."""
    return {name[len("KAMENG_") :]: env(name) for name in DEFAULTS if name.startswith(LOYALTY_PREFIXES)}


def enabled_payment_channels(config: Mapping[str, Any]) -> list[str]:
    """The payment channels switched on, from a nameko config: the sandbox when switched on, and
    those in KAMENG_PAYMENT_CHANNELS. Which of them take a currency is the payment service's rule
    (services/payment/currencies.py, asked through its `channels_for`)."""
    names = [n for n in config.get("PAYMENT_CHANNELS") or () if n != "sandbox"]
    return (["sandbox"] if config.get("SANDBOX_PAYMENTS") else []) + names


def nameko_config(s: Settings | None = None, **overrides: Any) -> dict[str, Any]:
    """The nameko container config: nameko's own keys plus ours (upper-case, KAMENG_ dropped)."""
    s = s or settings()
    config: dict[str, Any] = {
        "AMQP_URI": s.amqp_uri,
        "WEB_SERVER_ADDRESS": f"0.0.0.0:{s.http_port}",
        "max_workers": s.max_workers,
        "serializer": "json",
        "DATABASE_URL": s.database_url,
        "DATA_KEYS": list(s.data_keys),
        "ADMIN_TOKEN": s.admin_token,
        "SANDBOX_PAYMENTS": s.sandbox_payments,
        "PAYMENT_WINDOW_S": s.payment_window_s,
        "RISK_REVIEW_WINDOW_S": s.risk_review_window_s,
        "RISK_ANSWER_S": s.risk_answer_s,
        "DELIVER_ANSWER_S": s.deliver_answer_s,
        "SUPPLIER_TIMEOUT_S": s.supplier_timeout_s,
        "SUPPLIER_HOURLY_CAP": s.supplier_hourly_cap,
        "PUBLIC_URL": s.public_url,
        "MAX_BODY_BYTES": s.max_body_bytes,
        "RPC_TIMEOUT_S": s.rpc_timeout_s,
        "HEALTH_TIMEOUT_S": s.health_timeout_s,
        "EVENT_MAX_ATTEMPTS": s.event_max_attempts,
        "EVENT_RETRY_DELAY_MS": s.event_retry_delay_ms,
        "EVENT_BATCH_MAX": s.event_batch_max,
        "EVENT_BATCH_WORKERS": s.event_batch_workers,
        "EVENT_BATCH_PREFETCH": s.event_batch_prefetch,
        "OUTBOX_POLL_S": s.outbox_poll_s,
        "TRUSTED_PROXIES": list(s.trusted_proxies),
        "RATE_LIMITS": s.rate_limits,
        "REDIS_URL": s.redis_url,
        "ORDER_WAIT_S": s.order_wait_s,
        "GATEWAY_MAX_WORKERS": s.gateway_max_workers,
        "SMTP_URL": s.smtp_url,
        "MAIL_FROM": s.mail_from,
        "MAIL_CODES": s.mail_codes,
        "AGENT_MAX_DEPTH": s.agent_max_depth,
        "COMMISSION_SETTLE_DAYS": s.commission_settle_days,
        "CODE_READERS": list(s.code_readers),
        "NOTIFY_STAFF_EMAILS": list(s.notify_staff_emails),
        "AMQP_PREDECLARED": s.amqp_predeclared,
        "SHOP_TIMEZONE": s.shop_timezone,
    }
    if s.amqp_ca_file or s.amqp_uri.lower().startswith("amqps://"):
        config["AMQP_SSL"] = amqp_ssl(s)
    config.update(s.channel_settings)
    config.update(s.loyalty_settings)
    config.update(overrides)
    return config


def amqp_ssl(s: Settings) -> dict[str, Any]:
    """nameko's AMQP_SSL (py-amqp's ssl options): the broker's certificate must chain to
    KAMENG_AMQP_CA_FILE (or a system CA) and name the host of KAMENG_AMQP_URI."""
    options: dict[str, Any] = {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": urlparse(s.amqp_uri).hostname}
    if s.amqp_ca_file:
        options["ca_certs"] = s.amqp_ca_file
    return options


def describe() -> list[str]:
    """Lines `make run` prints: each setting and the value in use (secrets masked)."""
    secret = {"KAMENG_DATA_KEY", "KAMENG_ADMIN_TOKEN"}
    lines = []
    for name, (_, meaning) in DEFAULTS.items():
        value = env(name)
        hidden = name in secret or name.endswith("_KEY")
        shown = value if not hidden or value == DEV_ENV.get(name) or not value else "********"
        lines.append(f"  {name}={shown}    # {meaning}")
    return lines
