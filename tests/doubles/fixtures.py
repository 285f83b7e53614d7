"""pytest fixtures for the channel doubles and the supplier simulator: key material per run, a
double server per test (a plugin: tests/conftest.py registers it in `pytest_plugins`)."""

import pytest

from services.payment.channels import alipay, wechat as wechatpay
from tests.doubles.alipay import AlipayDouble
from tests.doubles.keys import AlipayParty, WechatParty, rsa_key
from tests.doubles.supplier import CallbackSink, SimHandle
from tests.doubles.wechat import WechatDouble
from tools import supplier_sim as simulator


@pytest.fixture(scope="session")
def alipay_party():
    return AlipayParty(app_key=rsa_key(), alipay_key=rsa_key())


@pytest.fixture(scope="session")
def wechat_party():
    return WechatParty.make()


@pytest.fixture
def alipay_double(alipay_party):
    double = AlipayDouble(alipay_party).start()
    yield double
    double.stop()


@pytest.fixture
def wechat_double(wechat_party):
    double = WechatDouble(wechat_party).start()
    yield double
    double.stop()


@pytest.fixture
def alipay_settings(alipay_party, alipay_double, tmp_path):
    return alipay_party.settings(tmp_path, alipay_double.url + "/gateway.do")


@pytest.fixture
def wechat_settings(wechat_party, wechat_double, tmp_path):
    return wechat_party.settings(tmp_path, wechat_double.url)


@pytest.fixture
def alipay_cfg(alipay_settings):
    return alipay.load_config(alipay_settings)


@pytest.fixture
def wechat_cfg(wechat_settings):
    return wechatpay.load_config(wechat_settings)


@pytest.fixture
def channels_config(config, alipay_settings, wechat_settings):
    """The test's nameko config with Alipay and WeChat Pay both on, pointed at their doubles."""
    config.update(
        PAYMENT_CHANNELS=["alipay", "wechat"],
        PUBLIC_URL=config["BASE_URL"],
        PAYMENT_RECONCILE_AFTER_S=3600,
        **alipay_settings,
        **wechat_settings,
    )
    return config


@pytest.fixture(scope="session")
def supplier_sim_server():
    """One simulator for the run, in this process: "timeout" holds its answer 3 s (keep adapter
    timeouts under that), "late" calls back after 1 s."""
    server = simulator.serve("127.0.0.1", 0, hold_s=3.0, late_s=1.0)
    yield server
    server.stop()


@pytest.fixture
def supplier_sim(supplier_sim_server):
    """The simulator, reset before and after the test (scripts, defaults, orders, settings)."""
    sim = SimHandle(supplier_sim_server)
    sim.reset()
    yield sim
    sim.reset()


@pytest.fixture
def callback_sink():
    """A local HTTP server recording the callbacks suppliers send (`.url`, `.received`, `.wait(n)`)."""
    sink = CallbackSink().start()
    yield sink
    sink.stop()
