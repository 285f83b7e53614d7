"""Every service uses the house entrypoints (services/common), never nameko's bare ones: those
kill a whole service when the broker goes away mid-ack, and their RPC proxy has no deadline. Test
services too: nameko's `rpc` beside the house one would put two consumers on one service's RPC
queue, each answering MethodNotFound for the other's methods."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BARE = re.compile(r"from nameko\.rpc import .*\b(rpc|RpcProxy)\b|from nameko\.events import .*\bevent_handler\b")


def test_no_service_uses_a_bare_nameko_entrypoint_or_proxy():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("services", "gateway", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "common" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if BARE.search(line)
    ]
    assert offenders == []


def test_every_consumer_in_every_service_is_the_house_one():
    """What a service consumes (RPC requests, events, RPC replies, hints) goes through the house
    `QueueConsumer`, whose failed ack does not kill the service: nameko's own sneaks in with any
    nameko entrypoint or proxy class used as it is."""
    from nameko.containers import ServiceContainer
    from nameko.messaging import QueueConsumer as NamekoQueueConsumer

    from services.common.broker import QueueConsumer
    from tools.runner import ALL, service_class

    found = {}
    for name in ALL:
        container = ServiceContainer(service_class(name), {"AMQP_URI": "memory://"})
        for extension in container.extensions:
            for inner in [extension, *getattr(extension, "nested_extensions", ())]:
                consumer = getattr(inner, "queue_consumer", None)
                if isinstance(consumer, NamekoQueueConsumer):
                    found[f"{name}: {type(inner).__name__}"] = type(consumer)
    assert found and all(issubclass(kind, QueueConsumer) for kind in found.values()), found
