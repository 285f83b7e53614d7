from services.delivery import mailer

DATA = {
    "order_no": "K2611XYZ",
    "sku": "STEAM-50",
    "quantity": 2,
    "amount": 9700,
    "currency": "CNY",
    "contact": "a@example.com",
}


def test_the_message_links_the_order_and_holds_no_codes_by_default():
    subject, body = mailer.message(DATA, "https://shop.example")
    assert "K2611XYZ" in subject and "https://shop.example/orders/K2611XYZ" in body and "97.00 CNY" in body
    assert "Codes" not in body


def test_codes_only_when_the_merchant_turns_them_on():
    fetched = []
    assert mailer.codes_to_mail({"MAIL_CODES": False}, "K1", fetched.append) is None and fetched == []
    codes = [{"code": "AAA-111", "secret": "pw"}, {"code": "BBB-222", "secret": None}]
    assert mailer.codes_to_mail({"MAIL_CODES": True}, "K1", lambda order_no: codes) == codes
    _, body = mailer.message(DATA, "https://shop.example", codes)
    assert "AAA-111  pw" in body and "BBB-222\n" in body
