"""Every RPC call has a deadline. nameko 2.14's `RpcProxy` dependency has none (only the
standalone proxies do), so services declare `common.rpc.RpcProxy`, whose calls go through
`call()`, which bounds the wait with an
`eventlet.Timeout` and turns a missing or silent service into `Unavailable`.

Who is calling (DESIGN §7): every request our `RpcProxy` sends carries the AMQP `user_id`
property, the user name of its broker connection (from AMQP_URI), which RabbitMQ checks against
the connection's user and refuses otherwise (PRECONDITION_FAILED). The house `rpc` entrypoint
hands that name, and nothing a caller could write in a header, to the worker: a service declares
`caller = Caller()` and calls `self.caller.require("CODE_READERS")` where only some services may
call. In development every service shares one user and the lists are empty: no check.
"""

import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar, overload
from urllib.parse import unquote, urlparse

import eventlet
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import (
    MethodProxy as NamekoMethodProxy,
    Rpc as NamekoRpc,
    RpcProxy as NamekoRpcProxy,
    ServiceProxy as NamekoServiceProxy,
)

from services.common.broker import BROKER_ERRORS, QueueConsumer, predeclared
from services.common.errors import Forbidden, Unavailable

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
K = TypeVar("K", bound=Hashable)

DEFAULT_TIMEOUT_S = 5.0
CALLER_KEY = "broker_user"  # worker_ctx.data: the AMQP user_id of the request, as RabbitMQ checked it


def broker_user(amqp_uri: str) -> str | None:
    """The user an AMQP URI connects as (`amqp://kameng-order:pw@host/` -> "kameng-order")."""
    username = urlparse(amqp_uri).username
    return unquote(username) if username else None


class ReplyPublisher(Publisher):
    """RPC replies go without publisher confirms. A confirm makes the callee wait a broker round
    trip per reply, holding its worker; what it guards against (a reply lost with the broker) the
    caller's deadline already turns into `Unavailable`. Requests go without them too (`RpcProxy`).
    Replies are transient: they go to a reply queue that does not outlive a broker restart, so
    writing them to disk never saved one."""

    use_confirms = False
    delivery_mode = NON_PERSISTENT


class Responder(nameko_rpc.Responder):
    publisher_cls = ReplyPublisher


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = QueueConsumer()

    def setup(self) -> None:
        super().setup()
        predeclared(self.queue, self.container.config)

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        """nameko's, with the `Responder` above; a reply that cannot be sent is logged, and the
        request is acked all the same."""
        config = self.container.config
        responder = Responder(
            config[AMQP_URI_CONFIG_KEY],
            nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except BROKER_ERRORS as exc:  # the caller's deadline answers for it; nameko would kill the service
            log.warning("broker connection lost while sending a reply (%s); the caller times out", type(exc).__name__)
        # done, answered or not: redelivered, a command would run twice (and hold a prefetch slot)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(NamekoRpc):
    """nameko's RPC entrypoint; a reply lost with the broker connection does not kill the service,
    and replies are sent without confirms (`ReplyPublisher`)."""

    rpc_consumer = RpcConsumer()

    def unpack_message_headers(self, message: Any) -> dict[str, Any]:
        """The context data from the headers, with the caller's broker user taken from the
        message's `user_id` property (which RabbitMQ validated), never from a header."""
        data: dict[str, Any] = super().unpack_message_headers(message)
        data.pop(CALLER_KEY, None)
        user_id = message.properties.get("user_id")
        if user_id:
            data[CALLER_KEY] = user_id.decode() if isinstance(user_id, bytes) else str(user_id)
        return data


@overload
def rpc(fn: F, /) -> F: ...
@overload
def rpc(
    *,
    expected_exceptions: type[Exception] | tuple[type[Exception], ...] = ...,
    sensitive_arguments: str | tuple[str, ...] = ...,
) -> Callable[[F], F]: ...
def rpc(*args: Any, **kwargs: Any) -> Any:
    """`@rpc` or `@rpc(expected_exceptions=DomainError)`: the house `Rpc` entrypoint."""
    return Rpc.decorator(*args, **kwargs)


def call(method: Any, *args: Any, timeout: float = DEFAULT_TIMEOUT_S, **kwargs: Any) -> Any:
    """`call(self.catalog_rpc.quote, sku, 2, timeout=2)`."""
    try:
        return result(method.call_async(*args, **kwargs), timeout)
    except UnknownService as exc:
        raise Unavailable("a service is not running", {"service": exc._service_name}) from None
    except BROKER_ERRORS as exc:  # the request could not even be sent
        raise Unavailable("the message broker is unavailable", {}) from exc


def result(reply: Any, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """Wait for a `call_async` reply within `timeout` (as `call` does)."""
    try:
        with eventlet.Timeout(timeout):
            return reply.result()
    except eventlet.Timeout:
        raise Unavailable("a service did not answer in time", {"timeout_s": timeout}) from None


def gather(calls: Mapping[K, tuple[Any, Sequence[Any]]], timeout: float = DEFAULT_TIMEOUT_S) -> dict[K, Any]:
    """Start several calls at once and wait for them all within one deadline.
    `calls` maps a key to (method, args); the answer maps each key to its result or exception."""
    pending: dict[K, Any] = {}
    results: dict[K, Any] = {}
    for key, (method, args) in calls.items():
        try:
            pending[key] = method.call_async(*args)
        except Exception as exc:
            results[key] = exc
    try:
        with eventlet.Timeout(timeout):
            for key, reply in pending.items():
                try:
                    results[key] = reply.result()
                except Exception as exc:
                    results[key] = exc
    except eventlet.Timeout:
        pass
    for key in calls:
        results.setdefault(key, Unavailable("no answer in time", {"timeout_s": timeout}))
    return results


class TimedMethod:
    def __init__(self, method: Any, timeout: float) -> None:
        self.method, self.timeout = method, timeout

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return call(self.method, *args, timeout=self.timeout, **kwargs)

    def call_async(self, *args: Any, **kwargs: Any) -> Any:
        return self.method.call_async(*args, **kwargs)

    def result(self, reply: Any) -> Any:
        return result(reply, self.timeout)

    def timed(self, timeout: float) -> "TimedMethod":
        """The same method with another deadline (for a known-long call)."""
        return TimedMethod(self.method, timeout)


class TimedServiceProxy:
    def __init__(self, proxy: Any, timeout: float) -> None:
        self._proxy, self._timeout = proxy, timeout

    def __getattr__(self, name: str) -> TimedMethod:
        return TimedMethod(getattr(self._proxy, name), self._timeout)


class ReplyListener(nameko_rpc.ReplyListener):
    """nameko's, its replies routed by `reply.<service>.<uuid>` instead of a bare uuid, so that the
    broker can let each service bind only its own reply keys (topic permissions on `nameko-rpc`,
    tools/broker_users.py): one service cannot listen to the replies another one gets."""

    queue_consumer = QueueConsumer()
    routing_key: str

    def setup(self) -> None:
        super().setup()
        self.routing_key = f"reply.{self.container.service_name}.{self.routing_key}"
        self.queue.routing_key = self.routing_key
        predeclared(self.queue, self.container.config)


class RequestPublisher(Publisher):
    """Requests without publisher confirms (`RpcProxy`), and so without `mandatory`: nameko asks
    for an unroutable request back, and only a confirm would ever read that answer from the
    connection."""

    def publish(self, payload: Any, **kwargs: Any) -> None:
        kwargs["mandatory"] = False
        super().publish(payload, **kwargs)


class MethodProxy(NamekoMethodProxy):
    publisher_cls = RequestPublisher

    def get_message_headers(self, worker_ctx: Any) -> dict[str, Any]:
        """nameko's, without the caller this worker was called by: the next callee learns who
        calls it from the request's `user_id`."""
        headers: dict[str, Any] = super().get_message_headers(worker_ctx)
        headers.pop(self._get_header_name(CALLER_KEY), None)
        return headers


class ServiceProxy(NamekoServiceProxy):
    def __getattr__(self, name: str) -> MethodProxy:
        return MethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, **self.options)


class RpcProxy(NamekoRpcProxy):
    """nameko's RpcProxy whose calls time out after RPC_TIMEOUT_S (config) with `Unavailable`.
    Requests stay persistent: one that waits out a short broker restart in its durable queue is
    still answered within its caller's deadline (the failure tests rely on it). Replies come
    through the house `QueueConsumer`: one whose ack meets a dropped connection does not kill the
    service. Every request carries `user_id`, the broker user of AMQP_URI (see the module's
    docstring).

    Requests go without publisher confirms: a confirm costs the caller a broker round trip per
    call, most of the CPU of publishing, on every order's path. What it bought was nameko's
    `UnknownService` for a request no queue is bound to, and every service's request queue is
    durable: once a service has run, its queue stays bound whether it runs or not, so the answer
    to "not running" was always the deadline (`Unavailable`), as it is for a request lost with
    the broker."""

    rpc_reply_listener = ReplyListener()

    def setup(self) -> None:
        user = broker_user(self.container.config["AMQP_URI"])
        self.publish_options = {**self.options, "use_confirms": False, **({"user_id": user} if user else {})}

    def get_dependency(self, worker_ctx: Any) -> TimedServiceProxy:
        timeout = float(self.container.config.get("RPC_TIMEOUT_S", DEFAULT_TIMEOUT_S))
        proxy = ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, **self.publish_options)
        return TimedServiceProxy(proxy, timeout)


class CallerView:
    """`self.caller` in a worker: `.user`, the broker user that sent this RPC request (None for a
    request without `user_id`, or another entrypoint), and `.require(setting)`."""

    def __init__(self, user: str | None, config: Mapping[str, Any]) -> None:
        self.user, self._config = user, config

    def require(self, setting: str) -> None:
        """Forbidden unless the caller is one of the broker users in config[setting]; an empty
        list (development, where every service shares one user) lets everyone through."""
        allowed = self._config.get(setting) or ()
        if allowed and self.user not in allowed:
            raise Forbidden("this service may not make this call", {"caller": self.user, "setting": setting})


class Caller(DependencyProvider):
    """`caller = Caller()`: the RPC's caller, as RabbitMQ vouches for it (`CallerView`)."""

    def get_dependency(self, worker_ctx: Any) -> CallerView:
        return CallerView(worker_ctx.data.get(CALLER_KEY), self.container.config)
