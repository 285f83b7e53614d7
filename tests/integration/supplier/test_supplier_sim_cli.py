"""`make supplier-sim` runs the simulator as its own process: it answers the protocol and its
control endpoints, and stops on Ctrl-C."""

import signal
import subprocess
import sys

import requests

from services.common.testing import free_port, wait_until
from services.supplier import adapters
from services.supplier.adapters.base import Outcome


def test_the_simulator_runs_on_its_own():
    port = free_port()
    args = [sys.executable, "-m", "tools.supplier_sim", "--port", str(port), "--app-id", "demo", "--key", "k1"]
    sim = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url), timeout=20, message="the simulator")
        requests.post(url + "/_sim/script", json={"recharge": ["fail"]}, timeout=5).raise_for_status()
        adapter = adapters.make("generic", url, {}, {"app_id": "demo", "key": "k1"}, 2)
        adapter.probe()
        assert adapter.recharge("P", "acc", 1, "att-cli", "http://127.0.0.1:9/cb").outcome is Outcome.FAILED
        assert requests.get(url + "/_sim/orders", timeout=5).json()["att-cli"]["status"] == "failed"
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(10) == 0


def _up(url):
    try:
        return requests.get(url + "/_sim/orders", timeout=0.5).status_code == 200
    except requests.RequestException:
        return False
