"""Services run as broker users with exactly the permissions tools/broker_users.py generates for
production (made through the management API in this test's vhost, with the shared exchanges made
beforehand as the prod overlay's Exchange objects do): they call each other, publish, consume,
retry and dead-letter, and retire an old `<queue>.retry`; a service user cannot post into another
service's queue, nor through the default exchange, another's exchanges, or bind to another's RPC
keys or replies (DESIGN §7, docs/security.md)."""

import json
import uuid
from urllib.parse import quote, unquote, urlparse

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.events import dead_letter_queue
from services.common.testing import make_envelope, unique, wait_until
from tests.integration.common import infra_services as infra
from tests.integration.common.test_messaging import QUEUE, effect_notes, engine  # noqa: F401  (fixture)
from tools import broker_users

SERVICES = {"caller": infra.Caller, "emitter": infra.Emitter, "listener": infra.Listener}


@pytest.fixture
def users(config, rabbit_manager, container_factory):  # containers stop before users go
    """{service: its AMQP URI}, each a user with the generated permissions in this vhost."""
    uri = urlparse(config["AMQP_URI"])
    vhost = unquote(uri.path[1:])
    password = uuid.uuid4().hex
    made = {}
    with Connection(config["AMQP_URI"]) as conn:  # what the prod overlay's Exchange objects make
        for name in ("nameko-rpc", *(f"{n}.events" for n in SERVICES)):
            Exchange(name, type="topic", durable=True)(conn.default_channel).declare()
    for name, cls in SERVICES.items():
        user = f"kameng-{name}-{uuid.uuid4().hex[:8]}"
        rabbit_manager._put("users", user, json={"password": password, "tags": ""})
        perms = broker_users.permissions(name, cls)
        rabbit_manager.set_vhost_permissions(vhost, user, perms["configure"], perms["read"], perms["write"])
        for topic in broker_users.topic_permissions(name, cls):
            rabbit_manager._put("topic-permissions", vhost, user, json=topic)
        made[name] = f"amqp://{user}:{password}@{uri.hostname}:{uri.port}/{quote(vhost, safe='')}"
    yield made
    for url in made.values():
        rabbit_manager._delete("users", unquote(urlparse(url).username))


def start(container_factory, config, users, name, **settings):
    container = container_factory(
        SERVICES[name], {**config, "AMQP_URI": users[name], "AMQP_PREDECLARED": True, **settings}
    )
    container.start()
    return container


def test_services_with_their_own_users_call_publish_consume_retry_and_dead_letter(
    config,
    users,
    container_factory,
    engine,
):
    start(container_factory, config, users, "listener", EVENT_MAX_ATTEMPTS=2, EVENT_RETRY_DELAY_MS=50)
    start(container_factory, config, users, "emitter")
    start(container_factory, config, users, "caller")
    good, poison = unique("good"), unique("poison")
    with ClusterRpcProxy(config) as cluster:
        cluster.caller.relay_emit(good)  # RPC caller -> emitter and its reply, as kameng users
        cluster.caller.relay_emit(poison)
    wait_until(lambda: effect_notes(engine, good), message="the event consumed")
    with Connection(config["AMQP_URI"]) as conn:
        dlq = conn.SimpleQueue(dead_letter_queue("listener", QUEUE))
        message = dlq.get(timeout=10)  # tried twice (one retry through listener.retry), then parked
        assert json.loads(message.body)["data"]["note"] == poison
        assert message.headers["x-kameng-attempt"] == 2
        message.ack()
        dlq.close()
    assert infra.ATTEMPTS.count(poison) == 2


@pytest.mark.parametrize("kind", ["classic", "quorum"])  # production's default is quorum: no if_empty
def test_an_old_retry_queue_drains_back_and_is_deleted(kind, config, users, container_factory, engine, rabbit_manager):
    vhost = unquote(urlparse(config["AMQP_URI"]).path[1:])
    note = unique("old")
    with Connection(config["AMQP_URI"]) as conn:  # as an older release left it, with a message waiting
        channel = conn.default_channel
        Queue(QUEUE, durable=True)(channel).declare()
        old = Queue(
            f"{QUEUE}.retry",
            durable=True,
            queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": QUEUE, "x-queue-type": kind},
        )(channel)
        old.declare()
        conn.Producer(channel).publish(
            make_envelope("thing_happened", note=note), routing_key=old.name, expiration=1, serializer="json"
        )
    start(container_factory, config, users, "listener")
    wait_until(lambda: effect_notes(engine, note), message="the waiting message back in its queue")
    names = lambda: {q["name"] for q in rabbit_manager.get_queues(vhost)}  # noqa: E731
    wait_until(lambda: f"{QUEUE}.retry" not in names(), timeout=25, message="the old retry queue deleted")


def refused(uri, act):
    """`act(channel)` as the user of `uri` is refused by the broker (ACCESS_REFUSED)."""
    with Connection(uri, transport_options={"confirm_publish": True}) as conn, pytest.raises(AccessRefused):
        act(conn.channel())


def test_a_service_user_cannot_reach_into_another_services_queues_or_keys(config, users, container_factory):
    start(container_factory, config, users, "listener")
    start(container_factory, config, users, "emitter")
    with Connection(config["AMQP_URI"]) as conn:  # another service's retry exchange exists
        Exchange("emitter.retry", type="direct", durable=True)(conn.default_channel).declare()
    listener = users["listener"]
    body = json.dumps(make_envelope("thing_happened", note="forged")).encode()

    def publish(exchange, key):
        return lambda ch: ch.basic_publish_confirm(_message(ch, body), exchange=exchange, routing_key=key)

    refused(listener, publish("", "rpc-emitter"))  # the default exchange: any queue by its name
    refused(listener, publish("", QUEUE))  # not even its own queue that way
    refused(listener, publish("emitter.retry", "rpc-emitter"))
    refused(listener, publish("emitter.events", "thing_happened"))  # forging another's events
    refused(listener, publish("nameko-rpc", "caller.relay_emit"))  # an RPC it does not make
    refused(listener, lambda ch: ch.exchange_delete("nameko-rpc"))  # shared: the broker's
    refused(listener, lambda ch: ch.exchange_delete("emitter.events"))
    refused(listener, lambda ch: ch.queue_declare("rpc-emitter", durable=True))
    refused(listener, lambda ch: ch.queue_purge("rpc-emitter"))
    reply_key = f"reply.caller.{uuid.uuid4()}"
    for key in ("#", "emitter.*", reply_key, str(uuid.uuid4())):  # others' requests and replies
        refused(listener, lambda ch, key=key: ch.queue_bind("rpc-listener", "nameko-rpc", routing_key=key))
    refused(listener, lambda ch: ch.queue_bind(QUEUE, "emitter.events", routing_key="#"))  # beyond its events


def _message(channel, body):
    return channel.prepare_message(body, content_type="application/json", content_encoding="utf-8")
