"""Run services: `python -m tools.runner [name ...]` (all of them when no name is given).

Patches eventlet and psycopg2 before anything else, logs JSON, starts the gateway last and stops
it first (so no request reaches a worker that is going away), and stops cleanly on Ctrl-C/SIGTERM.
"""

import eventlet

eventlet.monkey_patch()

import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from prometheus_client import start_http_server  # noqa: E402
from psycogreen.eventlet import patch_psycopg  # noqa: E402

from services.common import config as cfg, logs  # noqa: E402

patch_psycopg()
log = logging.getLogger("kameng.runner")

# audit owns no tables (so it is not in cfg.SERVICES, which migrate and backup walk)
ALL = (*cfg.SERVICES, "audit", "gateway")


def service_class(name):
    module = importlib.import_module("gateway.service" if name == "gateway" else f"services.{name}.service")
    return next(v for k, v in vars(module).items() if k.endswith("Service") and getattr(v, "name", None) == name)


def wait_ready(config, names, timeout=60):
    """True once every worker service answers `ping` (the gateway can answer before they do)."""
    workers = [n for n in names if n != "gateway"]
    with ClusterRpcProxy(config, timeout=2) as cluster:
        deadline = eventlet.Timeout(timeout, False)
        with deadline:
            for name in workers:
                while True:
                    try:
                        getattr(cluster, name).ping()
                        break
                    except Exception:
                        eventlet.sleep(0.2)
            return True
    return False


def start_mail_sink(settings):
    """Dev only: the local SMTP sink the buyer e-mails go to (see tools/mailsink.py)."""
    port = str(urlparse(settings.smtp_url).port or 8025)
    sink = subprocess.Popen([sys.executable, "-m", "tools.mailsink", "--port", port, "--dir", settings.mail_sink])
    log.info("buyer e-mail goes to the local sink: %s/*.eml", settings.mail_sink)
    return sink


def start_supplier_sim(settings):
    """Dev only: the supplier simulator (tools/supplier_sim.py) the demo supplier is reached at."""
    host, _, port = settings.supplier_sim.rpartition(":")
    sim = subprocess.Popen([sys.executable, "-m", "tools.supplier_sim", "--host", host or "127.0.0.1", "--port", port])
    log.info("the demo supplier answers from the simulator at http://%s", settings.supplier_sim)
    return sim


def watch(container, stop):
    """A container that dies (e.g. an extension crashed) stops the whole process, so that the
    supervisor (make, Kubernetes) sees it and restarts, instead of a half-alive process."""
    try:
        container.wait()
    except Exception:
        log.exception("service %s died; stopping", container.service_name)
    if not stop.ready():
        stop.send()


def main(argv):
    names = argv or list(ALL)
    unknown = set(names) - set(ALL)
    if unknown:
        sys.exit(f"unknown service(s): {', '.join(sorted(unknown))}; choose from {', '.join(ALL)}")
    settings = cfg.settings()
    logs.setup(settings.log_level)
    try:
        cfg.refuse_unsafe_production(settings)  # before anything starts: dev secrets or the sandbox
    except SystemExit as refused:
        log.critical("%s", refused)
        raise
    config = cfg.nameko_config(settings)
    if settings.metrics_port and "gateway" not in names:
        start_http_server(settings.metrics_port)
    sink = start_mail_sink(settings) if settings.mail_sink and "notify" in names else None
    sim = start_supplier_sim(settings) if settings.supplier_sim and "supplier" in names else None
    workers = [ServiceContainer(service_class(n), config) for n in names if n != "gateway"]
    gateway_config = {**config, "max_workers": settings.gateway_max_workers}
    gateway = [ServiceContainer(service_class("gateway"), gateway_config)] if "gateway" in names else []
    for container in workers:
        container.start()
    ready = wait_ready(config, names)
    for container in gateway:
        container.start()
    log.info("services started: %s%s", ", ".join(names), "" if ready else " (not all answered ping)")
    if gateway and ready:
        print(
            f"\n  kameng is up: storefront {settings.public_url}/   health {settings.public_url}/healthz"
            f"\n  API docs {settings.public_url}/openapi.json   metrics {settings.public_url}/metrics"
            f"\n  buyer e-mail: {settings.mail_sink or settings.smtp_url or 'off'}"
            f"\n  demo supplier: {'simulator at http://' + settings.supplier_sim if sim else 'off'}"
            "\n  Ctrl-C stops everything.\n",
            flush=True,
        )

    stop = eventlet.event.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.ready() or stop.send())
    for container in workers + gateway:
        eventlet.spawn(watch, container, stop)
    stop.wait()
    log.info("stopping: gateway first, then workers")
    for container in gateway:
        container.stop()
    pool = eventlet.GreenPool()
    for container in workers:
        pool.spawn(container.stop)
    pool.waitall()
    for helper in (sink, sim):
        if helper:
            helper.terminate()
    log.info("stopped")


if __name__ == "__main__":
    main(sys.argv[1:])
