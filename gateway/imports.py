"""Bulk code import at the gateway: stream the body line by line (bounded memory whatever its
size), hand the catalog chunks of lines, then ask it to move the whole import in one transaction.
A failure anywhere aborts the import: nothing is half-imported."""

import io
import logging
from collections import deque
from typing import Any

from werkzeug.exceptions import UnsupportedMediaType

from services.common.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 4096
CHUNK_LINES = 5000
IN_FLIGHT = 2
MAX_REJECTED_SHOWN = 1000
FINISH_TIMEOUT_S = 300


def body_stream(request):
    """The uploaded text: a text/plain body, or the `file` part of a multipart form."""
    if request.mimetype == "text/plain":
        # werkzeug's stream is a raw stream whose readline() reads a byte at a time
        return io.BufferedReader(request.stream, buffer_size=1 << 16)
    if request.mimetype == "multipart/form-data" and "file" in request.files:
        return request.files["file"].stream
    raise UnsupportedMediaType()


def read_lines(stream):
    """(line_no, text) for readable lines, (line_no, None, reason) for the others. Lines count
    from 1; an over-long line is skipped to its end without being held in memory. Blank lines at
    the end of the file (an editor's habit) are no lines: only a blank line with a line after it
    is rejected (counted, not held: a file of blank lines is a few numbers here)."""
    line_no, blanks_from = 0, None  # the first of the blank lines read since the last other line
    item: tuple[int, str | None, str | None]
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        line_no += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(65536)
            item = (line_no, None, "line too long")
        else:
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                item = (line_no, None, "not valid UTF-8")
            else:
                if line_no == 1:
                    text = text.lstrip("\ufeff")  # a BOM from Windows editors
                if not text.strip():
                    blanks_from = line_no if blanks_from is None else blanks_from
                    continue
                item = (line_no, text, None)
        if blanks_from is not None:
            yield from ((n, None, "empty line") for n in range(blanks_from, line_no))
            blanks_from = None
        yield item


class Rejections:
    """Rejected lines: the first MAX_REJECTED_SHOWN kept for the answer, all of them counted."""

    def __init__(self):
        self.shown, self.total = [], 0

    def add(self, items):
        self.total += len(items)
        self.shown.extend(items[: max(0, MAX_REJECTED_SHOWN - len(self.shown))])


def run(catalog, actor, sku, stream, separator):
    import_id = catalog.begin_import(actor, sku)["import_id"]
    rejected, unreadable, chunk, readable = Rejections(), 0, [], 0
    in_flight: deque[Any] = deque()  # nameko RPC replies, not yet read
    stage = catalog.stage_codes

    def send(lines, keep=IN_FLIGHT):  # the next chunk is read while the catalog encrypts this one
        if lines:
            in_flight.append(stage.call_async(import_id, lines, separator))
        while len(in_flight) > keep:
            rejected.add(stage.result(in_flight.popleft())["rejected"])

    try:
        for line_no, text, reason in read_lines(stream):
            if reason:
                rejected.add([{"line": line_no, "reason": reason}])
                unreadable += 1
                continue
            chunk.append((line_no, text))
            readable += 1
            if len(chunk) == CHUNK_LINES:
                send(chunk)
                chunk = []
        send(chunk, keep=0)
        if not readable:
            raise InvalidInput("the import is empty: one code per line, optionally code,secret")
        counts = catalog.finish_import.timed(FINISH_TIMEOUT_S)(import_id, unreadable)
    except BaseException:
        try:
            catalog.abort_import(import_id)
        except Exception:
            log.warning("could not abort import %s", import_id)
        raise
    return {
        "imported": counts["imported"],
        "duplicates": counts["duplicates"],
        "rejected": sorted(rejected.shown, key=lambda r: r["line"]),
        "rejected_total": rejected.total,
    }
