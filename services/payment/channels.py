"""Channel verification. Each channel turns what it received into a verified notice
{"payment_no", "amount", "trade_no"} or raises Refused; `domain.settle` does the rest.

The sandbox channel signs its own notifications with a key derived from the data key, so that
the notify path verifies a signature exactly as it will for real channels."""
import hashlib
import hmac
import json
import secrets


class Refused(Exception):
    pass


def sandbox_key(data_keys):
    return hashlib.sha256(b"kameng-sandbox-channel:" + data_keys[0].encode()).digest()


def sandbox_notification(key, payment):
    """What the sandbox 'channel' sends when a buyer pays."""
    body = {"payment_no": payment.payment_no, "amount": payment.amount,
            "trade_no": "SBX" + secrets.token_hex(8), "trade_status": "TRADE_SUCCESS"}
    body["sign"] = _sign(key, body)
    return body


def verify_sandbox(key, raw):
    if not isinstance(raw, dict) or not hmac.compare_digest(str(raw.get("sign", "")), _sign(key, raw)):
        raise Refused("bad signature")
    if raw.get("trade_status") != "TRADE_SUCCESS":
        raise Refused("trade not successful")
    return {"payment_no": raw["payment_no"], "amount": raw["amount"], "trade_no": raw["trade_no"]}


def _sign(key, body):
    unsigned = {k: v for k, v in body.items() if k != "sign"}
    return hmac.new(key, json.dumps(unsigned, sort_keys=True).encode(), hashlib.sha256).hexdigest()


VERIFIERS = {"sandbox": verify_sandbox}


def verify(channel, key, raw, sandbox=False):
    """Only enabled channels verify anything: the sandbox only with KAMENG_SANDBOX_PAYMENTS=1."""
    verifier = VERIFIERS.get(channel) if (channel != "sandbox" or sandbox) else None
    if verifier is None:
        raise Refused("channel not enabled")
    return verifier(key, raw)
