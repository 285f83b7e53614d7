"""One-time links mailed to a buyer: verify the e-mail (2 days), reset the password (30 min).
The token is random (256 bits), kept only as its SHA-256, and works once. Asking for a reset
answers the same whether an account has that e-mail or not (the mail goes only to an owner),
and a reset ends every session made with the old password (sessions.new_credential)."""

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.account import identity, mails, sessions
from services.account.models import Buyer, BuyerToken
from services.common.crypto import DataKeys
from services.common.errors import InvalidInput

TTL_S = {"verify_email": 2 * 86400, "reset_password": 1800}
BAD_LINK = "this link is not valid: it was used already, has expired, or is mistyped"


def issue(session: Session, buyer: Buyer, purpose: str) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        BuyerToken(
            token_hash=sessions.digest(token),
            purpose=purpose,
            buyer_id=buyer.id,
            expires_at=func.now() + timedelta(seconds=TTL_S[purpose]),
        )
    )
    return token


def redeem(session: Session, token: str, purpose: str) -> Buyer:
    """The buyer of a live link, which is used up now; InvalidInput (400) for any other."""
    if not token or len(token) > 128:
        raise InvalidInput(BAD_LINK, {"fields": {"token": [BAD_LINK]}})
    used = session.execute(
        update(BuyerToken)
        .where(
            BuyerToken.token_hash == sessions.digest(token),
            BuyerToken.purpose == purpose,
            BuyerToken.used_at.is_(None),
            BuyerToken.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(BuyerToken.buyer_id)
    ).scalar()
    if used is None:
        raise InvalidInput(BAD_LINK, {"fields": {"token": [BAD_LINK]}})
    return session.get_one(Buyer, used, with_for_update=True)


def peek(session: Session, token: str, purpose: str) -> Buyer:
    """The buyer of a live link, without using it up (to check a new password against them)."""
    found = (
        session.scalars(
            select(Buyer)
            .join(BuyerToken, BuyerToken.buyer_id == Buyer.id)
            .where(
                BuyerToken.token_hash == sessions.digest(token or ""),
                BuyerToken.purpose == purpose,
                BuyerToken.used_at.is_(None),
                BuyerToken.expires_at > func.now(),
            )
        ).first()
        if token and len(token) <= 128
        else None
    )
    if found is None:
        raise InvalidInput(BAD_LINK, {"fields": {"token": [BAD_LINK]}})
    return found


def mail_verification(session: Session, keys: DataKeys, buyer: Buyer, public_url: str) -> None:
    link = f"{public_url}/account/verify?token={issue(session, buyer, 'verify_email')}"
    body = "\n".join(
        [
            "请点击下面的链接验证您的邮箱 · Please verify your e-mail address:",
            "",
            link,
            "",
            "链接 48 小时内有效 · The link works once, for 48 hours.",
            "如果您没有注册，请忽略本邮件 · If you did not sign up, ignore this mail.",
        ]
    )
    mails.queue(session, keys, buyer.email or "", "验证邮箱 · Verify your e-mail", body + "\n")


def verify_email(session: Session, token: str) -> Buyer:
    buyer = redeem(session, token, "verify_email")
    if buyer.email_verified_at is None:
        buyer.email_verified_at = func.now()
    return buyer


def request_reset(session: Session, keys: DataKeys, email: str, public_url: str) -> None:
    """A reset link to the account with this e-mail, if there is one; nothing otherwise. The
    caller answers the same either way, and the mail is sent later, not in this call."""
    try:
        address = identity.email(email)
    except InvalidInput:
        return
    buyer = session.scalars(select(Buyer).where(Buyer.email == address)).first()
    if buyer is None:
        return
    link = f"{public_url}/account/reset?token={issue(session, buyer, 'reset_password')}"
    body = "\n".join(
        [
            "请点击下面的链接重设密码 · Reset your password with this link:",
            "",
            link,
            "",
            "链接 30 分钟内有效，只能使用一次 · The link works once, for 30 minutes.",
            "如果不是您本人操作，请忽略本邮件 · If you did not ask for it, ignore this mail.",
        ]
    )
    mails.queue(session, keys, buyer.email or "", "重设密码 · Reset your password", body + "\n")


def reset_password(session: Session, token: str, password_hash: str) -> dict[str, Any]:
    """The new password (checked and hashed by the caller) in place; every session ends, and
    every other reset link of this buyer stops working. A reset proves the mailbox, too."""
    buyer = redeem(session, token, "reset_password")
    buyer.password_hash = password_hash
    sessions.new_credential(buyer)
    if buyer.email_verified_at is None:
        buyer.email_verified_at = func.now()
    session.execute(
        update(BuyerToken)
        .where(BuyerToken.buyer_id == buyer.id, BuyerToken.purpose == "reset_password", BuyerToken.used_at.is_(None))
        .values(used_at=func.now())
    )
    return {"reset": True}
