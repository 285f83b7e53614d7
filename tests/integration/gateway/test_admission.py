"""HTTP requests never take every worker of the gateway (gateway/http.py `JsonWebServer`): held
requests (a flash sale's buyers, long polls) leave workers for its hint handlers and timers,
which nameko spawns from the same pool, so news such as a SKU selling out is heard while buyers
wait."""

import time

import eventlet
import requests
from eventlet.event import Event
from nameko.timer import timer

from gateway.http import JsonHttpHandler

RELEASE = Event()
TICKS: list[float] = []


class Held:
    name = "held"

    @JsonHttpHandler.decorator("GET", "/hold")
    def hold(self, request):
        RELEASE.wait()
        return {"held": True}

    @timer(interval=0.05)
    def tick(self):
        TICKS.append(time.monotonic())


def test_held_requests_leave_workers_for_the_timers_and_hint_handlers(config, container_factory):
    container = container_factory(Held, {**config, "max_workers": 8})  # requests take 6 at most
    container.start()
    answers = []

    def get():
        answers.append(requests.get(config["BASE_URL"] + "/hold", timeout=10).status_code)

    pool = eventlet.GreenPool()
    for _ in range(12):  # more than there are workers: 6 held, 6 waiting at the door
        pool.spawn(get)
    eventlet.sleep(0.5)
    assert container._worker_pool.running() <= 7  # six requests, and a timer now and then
    since = time.monotonic()
    eventlet.sleep(0.5)
    assert len([t for t in TICKS if t > since]) >= 5  # the timer still gets a worker
    RELEASE.send()
    pool.waitall()
    assert answers == [200] * 12
