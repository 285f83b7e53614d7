import base64
import hashlib
import hmac
from urllib.parse import parse_qs, unquote, urlsplit

from services.notify import channels, templates

ORDER = {"order_no": "K2611XYZ", "sku": "STEAM<50>", "quantity": 2, "amount": 9700, "currency": "CNY"}


def completion(language, codes=None):
    return templates.render(
        "order_completed", language, {**ORDER, "link": "https://shop.example/orders/K2611XYZ", "codes": codes}
    )


def test_the_completion_mail_in_zh_by_default_and_in_en():
    zh, en, unknown = completion("zh"), completion("en"), completion("fr")
    assert zh.subject == "订单 K2611XYZ 已完成" and unknown == zh
    assert en.subject == "Order K2611XYZ complete"
    for r in (zh, en):
        assert "https://shop.example/orders/K2611XYZ" in r.text and "97.00 CNY" in r.text
        assert "STEAM<50>" in r.text  # plain text: as it is
        assert "STEAM&lt;50&gt;" in r.html and "<50>" not in r.html  # HTML: autoescaped
    assert "\n卡密：\n" not in zh.text and "Codes" not in en.text  # no codes by default


def test_codes_only_when_given():
    r = completion("en", [{"code": "AAA-111", "secret": "pw"}, {"code": "BBB-222", "secret": None}])
    assert "AAA-111  pw\n" in r.text and "BBB-222\n" in r.text and "<code>AAA-111</code>" in r.html


def test_a_ticket_excerpt_cannot_inject_markup():
    r = templates.render("ticket_replied", "en", {"ticket_id": "T1", "excerpt": "<script>x</script>"})
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html and "<script>x</script>" in r.text


def test_dingtalk_signs_timestamp_and_secret_as_dingtalk_checks():
    hook = channels.Hook("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=T", "SEC")
    rendered = templates.Rendered("t", "x\n", None)
    url, body, headers = channels.webhook_request(hook, rendered, "notify-1", "stock_low", "zh", {}, 1700000000000)
    query = parse_qs(urlsplit(url).query)
    expected = base64.b64encode(hmac.new(b"SEC", b"1700000000000\nSEC", hashlib.sha256).digest()).decode()
    assert query["access_token"] == ["T"] and query["timestamp"] == ["1700000000000"] and query["sign"] == [expected]
    assert unquote(url.split("sign=")[1]) == expected  # URL-encoded in the query
    assert body == {"msgtype": "text", "text": {"content": "t\nx\n"}} and "Idempotency-Key" not in headers
    unsigned, _, _ = channels.webhook_request(
        channels.Hook("dingtalk", "https://d/robot?access_token=T"), rendered, "k", "e", "zh", {}, 1
    )
    assert unsigned == "https://d/robot?access_token=T"


def test_generic_carries_the_idempotency_key_and_telegram_its_chat():
    rendered = templates.Rendered("Title", "Text\n", None)
    _, body, headers = channels.webhook_request(
        channels.Hook("generic", "https://h/x"), rendered, "notify-9", "stock_low", "en", {"sku": "S"}, 1
    )
    assert headers["Idempotency-Key"] == "notify-9" == body["id"] and body["data"] == {"sku": "S"}
    _, body, _ = channels.webhook_request(
        channels.Hook("telegram", "https://api.telegram.org/botT/sendMessage", chat_id="-1"),
        rendered,
        "k",
        "e",
        "en",
        {},
        1,
    )
    assert body == {"chat_id": "-1", "text": "Title\nText\n"}
    _, body, _ = channels.webhook_request(channels.Hook("wecom", "https://q/x"), rendered, "k", "e", "en", {}, 1)
    assert body == {"msgtype": "markdown", "markdown": {"content": "**Title**\nText\n"}}
