"""The support service's own refusals, with DESIGN §6's codes (the gateway's one table maps them)."""

from services.common.errors import DomainError


class AttachmentTooLarge(DomainError):
    code = "payload_too_large"


class UnsupportedAttachment(DomainError):
    code = "unsupported_media_type"
