"""Browser tests: Playwright (Python) driving Debian's Chromium (/usr/bin/chromium; `.ci/run`
installs it: Playwright cannot download its own browser here) against the whole system started
in-process on the test vhost and database. Screenshots land in artifacts/screenshots/."""

import asyncio
import os
from pathlib import Path

import eventlet
import pytest
from eventlet.green import selectors as green_selectors
from playwright.sync_api import sync_playwright

from tests.e2e.browser.helpers import PHONE

CHROMIUM = os.environ.get("KAMENG_TEST_CHROMIUM", "/usr/bin/chromium")


class GreenLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """Playwright's sync API runs an asyncio loop whenever it waits. The system under test runs
    in this process on eventlet, so that loop must wait through eventlet's green select: with
    the real epoll (asyncio was imported before eventlet patched) it would block the hub, and
    the gateway could not answer the very browser the test waits for."""

    def new_event_loop(self):
        return asyncio.SelectorEventLoop(green_selectors.DefaultSelector())


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    asyncio.set_event_loop_policy(GreenLoopPolicy())
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield chromium
    chromium.close()
    # the driver exits at once, but the green loop never hears of its exit: do not wait for that
    with eventlet.Timeout(3, False):
        playwright.stop()


@pytest.fixture
def new_context(browser, system):
    """`new_context(PHONE)`: a fresh browser profile (no cookies) pointed at the system."""
    contexts = []

    def make(device=PHONE, **options):
        context = browser.new_context(base_url=system["BASE_URL"], locale="zh-CN", **device, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(config, items):
    """Each browser test starts a system of its own, as before modules shared one: a run of the
    suite once hung for two minutes at the end of a browser module whose system was shared
    (December 2026), and these tests had never hung with one system each."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.fresh_system)
