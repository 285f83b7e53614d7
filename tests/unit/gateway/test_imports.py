"""The gateway's import orchestration: chunks in order, everything drained, and an abort on any
failure (the catalog's side of atomicity is tested against PostgreSQL in tests/integration)."""

import io

import pytest

from gateway import imports
from services.common.errors import InvalidInput, Unavailable


class Reply:
    def __init__(self, value):
        self.value = value


class Method:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)

    def call_async(self, *args):
        return Reply(self.fn(*args))

    def result(self, reply):
        if isinstance(reply.value, Exception):
            raise reply.value
        return reply.value

    def timed(self, timeout):
        return self


class Catalog:
    def __init__(self, fail_on_chunk=None):
        self.staged, self.aborted, self.finished = [], [], []
        self.fail_on_chunk = fail_on_chunk
        self.begin_import = Method(lambda actor, sku: {"import_id": "imp-1"})
        self.stage_codes = Method(self._stage)
        self.finish_import = Method(
            lambda i, unreadable: (
                self.finished.append(unreadable) or {"imported": sum(len(c) for c in self.staged), "duplicates": 0}
            )
        )
        self.abort_import = Method(self.aborted.append)

    def _stage(self, import_id, lines, separator):
        if len(self.staged) == self.fail_on_chunk:
            return Unavailable("catalog went away")
        self.staged.append(lines)
        return {"rejected": [{"line": lines[0][0], "reason": "x"}]}


def test_chunks_are_sent_in_order_and_all_answers_collected(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_LINES", 3)
    catalog = Catalog()
    body = io.BytesIO(b"".join(b"C%d\n" % n for n in range(1, 10)) + b"\nC10\n\n")  # line 10 blank, 12 trailing
    result = imports.run(catalog, "admin", "SKU", body, ",")
    assert [len(c) for c in catalog.staged] == [3, 3, 3, 1]
    assert result["imported"] == 10 and catalog.finished == [1]
    assert [r["line"] for r in result["rejected"]] == [1, 4, 7, 10, 11] and result["rejected_total"] == 5


def test_any_failure_aborts_the_import(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_LINES", 2)
    catalog = Catalog(fail_on_chunk=1)
    with pytest.raises(Unavailable):
        imports.run(catalog, "admin", "SKU", io.BytesIO(b"A\nB\nC\nD\nE\n"), ",")
    assert catalog.aborted == ["imp-1"] and catalog.finished == []


def test_an_empty_import_is_refused_and_aborted():
    catalog = Catalog()
    with pytest.raises(InvalidInput):
        imports.run(catalog, "admin", "SKU", io.BytesIO(b"\n \n"), ",")
    assert catalog.aborted == ["imp-1"]
