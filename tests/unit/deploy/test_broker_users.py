"""Each service's RabbitMQ user (deploy/k8s/overlays/prod/rabbitmq-users.yaml): current with the
code, and its regexes admit the service's own queues and exchanges and no other service's, never
the default exchange; its topic permissions let it bind only its own RPC and reply keys.
(tests/integration/common/test_broker_permissions.py runs services under such users.)"""

import re

import yaml

from tools import broker_users
from tools.runner import ALL

REPLY = "0b1c2d3e-aaaa-4bbb-8ccc-1234567890ab"


def manifest():
    return [d for d in yaml.safe_load_all(broker_users.OUT.read_text(encoding="utf-8")) if d]


def permissions():
    return {
        d["metadata"]["name"][len("kameng-") :]: d["spec"]["permissions"]
        for d in manifest()
        if d["kind"] == "Permission"
    }


def topic_permissions(name):
    return {
        d["spec"]["permissions"]["exchange"]: d["spec"]["permissions"]
        for d in manifest()
        if d["kind"] == "TopicPermission" and d["spec"]["userReference"]["name"] == f"kameng-{name}"
    }


def test_the_manifest_is_current():
    assert broker_users.OUT.read_text(encoding="utf-8") == broker_users.render()


def event_queues(name):
    queues = []
    for source in broker_users.consumed(name):
        queue = f"evt-{source}-something_happened--{name}.handle_something_happened"
        queues += [queue, f"{queue}.delay", f"{queue}.dlq"]
    return queues


def own_queues(name):
    return [f"rpc-{name}", f"rpc.reply-{name}-{REPLY}", *event_queues(name)]


def test_each_service_may_use_its_own_and_nothing_of_another():
    perms = permissions()
    assert set(perms) == set(ALL)
    for name, p in perms.items():
        allow = {kind: re.compile(regex) for kind, regex in p.items()}
        for queue in own_queues(name):
            assert allow["configure"].match(queue) and allow["write"].match(queue), (name, queue)
            assert bool(allow["read"].match(queue)) is not queue.endswith(".dlq"), (name, queue)  # never consumed
        for resource in (f"{name}.retry",):
            assert all(allow[kind].match(resource) for kind in allow), (name, resource)
        assert allow["write"].match("nameko-rpc") and allow["read"].match("nameko-rpc")
        for source in broker_users.consumed(name):
            assert allow["read"].match(f"{source}.events"), (name, source)
            assert not allow["configure"].match(f"{source}.events") or source == name  # predeclared
        assert not any(allow[kind].match("amq.default") or allow[kind].match("") for kind in allow), name
        assert not allow["configure"].match("nameko-rpc")  # nobody may delete the shared exchanges
        for other in set(ALL) - {name}:
            for queue in own_queues(other):
                assert not any(allow[kind].match(queue) for kind in allow), (name, queue)
            assert not any(allow[kind].match(f"{other}.retry") for kind in allow), (name, other)
            assert not allow["write"].match(f"{other}.events") and not allow["configure"].match(f"{other}.events")
            if other not in broker_users.consumed(name):
                assert not allow["read"].match(f"{other}.events"), (name, other)


def test_old_retry_queues_may_only_be_deleted():
    for name, p in permissions().items():
        for queue in event_queues(name)[:1]:
            old = f"{queue}.retry"
            assert re.match(p["configure"], old) and not re.match(p["write"], old) and not re.match(p["read"], old)


def test_each_service_binds_only_its_own_rpc_and_reply_keys():
    for name in ALL:
        rpc = topic_permissions(name)["nameko-rpc"]
        read, write = re.compile(rpc["read"]), re.compile(rpc["write"])
        assert read.match(f"{name}.*") and read.match(f"reply.{name}.{REPLY}")
        for key in ("#", "*.*", f"{name}.#", REPLY, "reply.#", f"{name}.get_codes"):
            assert not read.match(key), (name, key)
        for other in set(ALL) - {name}:
            assert not read.match(f"{other}.*") and not read.match(f"reply.{other}.{REPLY}"), (name, other)
            assert write.match(f"reply.{other}.{REPLY}")  # it answers whoever calls it
            assert bool(write.match(f"{other}.some_method")) is (other in broker_users.calls(name)), (name, other)
        assert write.match(REPLY)  # a standalone proxy's reply key (operators' tools)


def test_each_service_binds_only_the_events_it_handles():
    for name in ALL:
        topics = topic_permissions(name)
        for source, types in broker_users.subscriptions(broker_users.service_class(name)).items():
            read = re.compile(topics[f"{source}.events"]["read"])
            assert all(read.match(t) for t in types) and not read.match("#") and not read.match("other_thing")
            if source != name:
                assert topics[f"{source}.events"]["write"] == "^$"


def test_the_shared_exchanges_are_made_by_the_broker():
    made = {d["spec"]["name"] for d in manifest() if d["kind"] == "Exchange"}
    assert "nameko-rpc" in made
    for name in ALL:
        for source in broker_users.consumed(name):
            assert f"{source}.events" in made
        if broker_users.publishes(name):
            assert f"{name}.events" in made
