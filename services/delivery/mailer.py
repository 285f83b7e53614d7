"""The buyer's e-mail when an order completes: a link to the order page, and the codes only when
the merchant switched that on (KAMENG_MAIL_CODES=1). Codes never reach a log line."""
from services.common import mail
from services.common.money import format_minor


def codes_to_mail(config, order_no, get_codes):
    """The codes for the message, or None (the default): fetched before any transaction."""
    return get_codes(order_no) if config.get("MAIL_CODES") else None


def message(data, public_url, codes=None):
    link = f"{public_url}/orders/{data['order_no']}"
    lines = [f"您的订单 {data['order_no']} 已完成 · Your order {data['order_no']} is complete.",
             f"{data['sku']} × {data['quantity']}, {format_minor(data['amount'])} {data['currency']}", "",
             f"查看卡密 · See your codes: {link}",
             "（需要下单时获得的订单令牌 · with the order token you received at checkout）"]
    if codes:
        lines += ["", "卡密 · Codes:"] + [c["code"] + (f"  {c['secret']}" if c.get("secret") else "") for c in codes]
    return f"订单完成 · Order {data['order_no']} complete", "\n".join(lines) + "\n"


def send_completion(session, envelope, config, codes):
    """Inside the inbox transaction: a failure to send rolls back and the event is retried."""
    subject, body = message(envelope["data"], config.get("PUBLIC_URL", ""), codes)
    mail.send(config.get("SMTP_URL"), config.get("MAIL_FROM", "kameng <noreply@localhost>"),
              envelope["data"]["contact"], subject, body)
