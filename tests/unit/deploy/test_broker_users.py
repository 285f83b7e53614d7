"""Each service's RabbitMQ user (deploy/k8s/overlays/prod/rabbitmq-users.yaml): current with the
code, and its regexes admit the service's own queues and exchanges and no other service's."""

import re

import yaml

from tools import broker_users
from tools.runner import ALL


def permissions():
    docs = [d for d in yaml.safe_load_all(broker_users.OUT.read_text(encoding="utf-8")) if d]
    return {
        d["metadata"]["name"][len("kameng-") :]: d["spec"]["permissions"] for d in docs if d["kind"] == "Permission"
    }


def test_the_manifest_is_current():
    assert broker_users.OUT.read_text(encoding="utf-8") == broker_users.render()


def own_queues(name):
    queues = [f"rpc.reply-{name}-0b1c2d3e-aaaa-4bbb-8ccc-1234567890ab"]
    for source in broker_users.consumed(name):
        queue = f"evt-{source}-something_happened--{name}.handle_something_happened"
        queues += [queue, f"{queue}.retry", f"{queue}.dlq"]
    return [f"rpc-{name}", *queues]


def test_each_service_may_use_its_own_and_nothing_of_another():
    perms = permissions()
    assert set(perms) == set(ALL)
    for name, p in perms.items():
        allow = {kind: re.compile(regex) for kind, regex in p.items()}
        for queue in own_queues(name):
            assert all(allow[kind].match(queue) for kind in allow), (name, queue)
        assert allow["write"].match("nameko-rpc") and allow["read"].match("nameko-rpc")
        for source in broker_users.consumed(name):
            assert allow["read"].match(f"{source}.events"), (name, source)
        for other in set(ALL) - {name}:
            for queue in own_queues(other):
                assert not any(allow[kind].match(queue) for kind in allow), (name, queue)
            assert not allow["write"].match(f"{other}.events"), (name, other)
            if other not in broker_users.consumed(name):
                assert not allow["read"].match(f"{other}.events"), (name, other)
