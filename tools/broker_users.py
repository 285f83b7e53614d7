"""Each service's own RabbitMQ user (DESIGN §7), derived from what its code declares, written to
deploy/k8s/overlays/prod/rabbitmq-users.yaml (messaging-topology-operator objects: the shared
Exchanges, and per service a User, a Permission and a TopicPermission per topic exchange it uses;
the password in the Secret kameng-mq-<service>, keys username, password and uri, made out of
band). `python -m tools.broker_users` rewrites the file; tests/unit/deploy checks it is current and
that each regex admits the service's own queues and exchanges and no other service's;
tests/integration/common/test_broker_permissions.py runs services as users with exactly these
permissions against the real RabbitMQ. docs/security.md says why each grant is there.

Per service S (the production services run with KAMENG_AMQP_PREDECLARED=1: the shared exchanges,
nameko-rpc and every <service>.events, are made by the Exchange objects here, and a service only
declares them passively, which needs no permission):
- configure: its own queues (rpc-S, rpc.reply-S-<uuid>, evt-<src>-<event>--S.<method> with their
  .delay and .dlq, and the old .retry to delete it), its own S.retry exchange and S.events;
- write: the same queues (binding them), S.retry (retries, dead letters), S.events (its events),
  nameko-rpc (requests and replies; the routing keys limited by its topic permission);
- read: its queues but the .dlq (consuming; .delay because it dead-letters), S.retry, nameko-rpc
  and the events exchanges it consumes (binding; the keys limited by its topic permissions).
Never the default exchange: no service can post into another's queue by its name."""

import inspect
import sys
from pathlib import Path

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR, DependencyProvider

from tools.runner import ALL, service_class

OUT = Path(__file__).resolve().parents[1] / "deploy" / "k8s" / "overlays" / "prod" / "rabbitmq-users.yaml"
RPC_EXCHANGE = "nameko-rpc"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def subscriptions(cls):
    """{source service: sorted event types} of the event handlers of service class `cls`."""
    found: dict[str, set[str]] = {}
    for _, fn in inspect.getmembers(cls):
        for entrypoint in getattr(fn, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if getattr(entrypoint, "source_service", None):
                found.setdefault(entrypoint.source_service, set()).add(entrypoint.event_type)
    return {source: sorted(types) for source, types in sorted(found.items())}


def consumed(name, cls=None):
    return sorted(subscriptions(cls or service_class(name)))


def dependencies(cls):
    return [d for _, d in inspect.getmembers(cls) if isinstance(d, DependencyProvider)]


def publishes(name, cls=None):
    kinds = {type(d).__name__ for d in dependencies(cls or service_class(name))}
    return bool(kinds & {"OutboxRelay", "EventDispatcher", "Hints", "PageViews"})


def calls(name, cls=None):
    """The services S calls by RPC."""
    return sorted({d.target_service for d in dependencies(cls or service_class(name)) if hasattr(d, "target_service")})


def permissions(name, cls=None):
    cls = cls or service_class(name)
    events = rf"evt-[a-z_]+-[a-z_]+--{name}\.[a-z_]+(-[0-9a-f]+)?"
    queues = [f"rpc-{name}", rf"rpc\.reply-{name}-{UUID}"]
    own = [f"{name}\\.retry", *([f"{name}\\.events"] if publishes(name, cls) else [])]
    sources = [f"{s}\\.events" for s in consumed(name, cls)]
    return {
        "configure": "^(" + "|".join([*queues, rf"{events}(\.delay|\.dlq|\.retry)?", *own]) + ")$",
        "write": "^(" + "|".join([*queues, rf"{events}(\.delay|\.dlq)?", *own, RPC_EXCHANGE]) + ")$",
        "read": "^(" + "|".join([*queues, rf"{events}(\.delay)?", f"{name}\\.retry", RPC_EXCHANGE, *sources]) + ")$",
    }


def topic_permissions(name, cls=None):
    """[{exchange, write, read}]: the routing keys S may publish with and bind by, per topic
    exchange. nameko-rpc: requests to the services it calls and replies (to a service's
    `reply.<service>.<uuid>`, or a standalone proxy's bare uuid); bindings for its own requests
    and its own replies only. An events exchange: bindings for the event types it handles; its
    own, any event type."""
    cls = cls or service_class(name)
    targets = calls(name, cls)
    requests = [rf"({'|'.join(targets)})\.[a-z_]+"] if targets else []
    rpc = {
        "exchange": RPC_EXCHANGE,
        "write": "^(" + "|".join([*requests, rf"reply\.[a-z_]+\.{UUID}", UUID]) + ")$",
        "read": "^(" + "|".join([rf"{name}\.\*", rf"reply\.{name}\.{UUID}"]) + ")$",
    }
    subs = subscriptions(cls)
    own = publishes(name, cls)
    sources = sorted({*subs, *([name] if own else [])})
    return [
        rpc,
        *(
            {
                "exchange": f"{source}.events",
                "write": "^[a-z_]+$" if source == name else "^$",
                "read": "^(" + "|".join(subs[source]) + ")$" if source in subs else "^$",
            }
            for source in sources
        ),
    ]


def shared_exchanges(names=ALL):
    """The exchanges the broker makes (services declare them passively): nameko-rpc and the events
    exchange of every service that publishes or is listened to."""
    events = {n for n in names if publishes(n)} | {s for n in names for s in consumed(n)}
    return [RPC_EXCHANGE, *(f"{s}.events" for s in sorted(events))]


def render():
    docs = [
        "# Generated by `python -m tools.broker_users` (tools/broker_users.py and docs/security.md say\n"
        "# why each regex is so): the shared exchanges, and one RabbitMQ user per service, its password in\n"
        "# the Secret kameng-mq-<service> (made out of band).\n"
    ]
    for exchange in shared_exchanges():
        docs.append(
            f"""---
apiVersion: rabbitmq.com/v1beta1
kind: Exchange
metadata:
  name: {exchange.replace(".", "-")}
spec:
  name: {exchange}
  vhost: /
  type: topic
  durable: true
  autoDelete: false
  rabbitmqClusterReference: {{name: kameng-mq}}
"""
        )
    for name in ALL:
        docs.append(user(name))
    return "".join(docs)


def user(name):
    perms = permissions(name)
    text = f"""---
apiVersion: rabbitmq.com/v1beta1
kind: User
metadata:
  name: kameng-{name}
spec:
  rabbitmqClusterReference: {{name: kameng-mq}}
  importCredentialsSecret: {{name: kameng-mq-{name}}}
---
apiVersion: rabbitmq.com/v1beta1
kind: Permission
metadata:
  name: kameng-{name}
spec:
  vhost: /
  userReference: {{name: kameng-{name}}}
  rabbitmqClusterReference: {{name: kameng-mq}}
  permissions:
    configure: '{perms["configure"]}'
    write: '{perms["write"]}'
    read: '{perms["read"]}'
"""
    for topic in topic_permissions(name):
        text += f"""---
apiVersion: rabbitmq.com/v1beta1
kind: TopicPermission
metadata:
  name: kameng-{name}-{topic["exchange"].replace(".", "-")}
spec:
  vhost: /
  userReference: {{name: kameng-{name}}}
  rabbitmqClusterReference: {{name: kameng-mq}}
  permissions:
    exchange: {topic["exchange"]}
    write: '{topic["write"]}'
    read: '{topic["read"]}'
"""
    return text


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    sys.exit(0)
