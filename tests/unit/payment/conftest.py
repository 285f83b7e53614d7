from tests.doubles.fixtures import alipay_party, wechat_party  # noqa: F401 -- fixtures
