"""Product pictures (issue 23): an upload is taken only when its magic bytes say JPEG, PNG or
WebP (never by its name or its Content-Type), at most MAX_UPLOAD bytes and MAX_PIXELS pixels;
Pillow decodes it, shrinks it to fit MAX_SIDE and encodes it again in its own format, dropping
whatever else the file carried (EXIF, comments). The catalog keeps the result (bytea)."""

import base64
import io

from services.common.errors import InvalidInput

MAX_UPLOAD = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # decompression bombs: refused before decoding
MAX_SIDE = 800
KINDS = {  # magic bytes -> (Content-Type, Pillow's format)
    b"\xff\xd8\xff": ("image/jpeg", "JPEG"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "PNG"),
}


def kind_of(data):
    """(Content-Type, Pillow format) by the magic bytes, or None."""
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ("image/webp", "WEBP")
    return None


def refuse(why):
    return InvalidInput(why, {"fields": {"image": [why]}})


def prepare(data):
    """(Content-Type, the resized picture's bytes) for an upload; InvalidInput for anything else."""
    if not data:
        raise refuse("no file")
    if len(data) > MAX_UPLOAD:
        raise refuse("at most 5 MB")
    kind = kind_of(data)
    if kind is None:
        raise refuse("JPEG, PNG or WebP only")
    content_type, fmt = kind
    from PIL import Image, UnidentifiedImageError  # only here: the rest of the gateway does without it

    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise refuse("too many pixels")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            image.load()
            picture = image.convert("RGB") if fmt == "JPEG" else image.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refuse("not a readable picture") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if fmt == "PNG":
        picture.save(out, format=fmt, optimize=True)
    else:
        picture.save(out, format=fmt, quality=85)
    return content_type, out.getvalue()


def upload(catalog_rpc, actor, sku, data):
    content_type, picture = prepare(data)
    return catalog_rpc.set_product_image(actor, sku, content_type, base64.b64encode(picture).decode())


def url(sku, version):
    return f"/images/{sku}?v={version}" if version else None
