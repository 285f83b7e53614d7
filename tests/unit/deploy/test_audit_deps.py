"""tools/audit_deps.py: the local OSV snapshot answers pip-audit's query as OSV would, offline."""

import json
import urllib.request

from tools.audit_deps import affects, load, serve

RECORD = {
    "id": "GHSA-test",
    "summary": "werkzeug multipart parser",
    "affected": [
        {
            "package": {"name": "Werkzeug", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "3.0.6"}, {"introduced": "0"}]}],
        },
        {"package": {"name": "flask", "ecosystem": "PyPI"}, "versions": ["2.0.0"]},
    ],
}


def test_ranges_and_listed_versions():
    assert affects(RECORD, "werkzeug", "2.3.8")
    assert not affects(RECORD, "werkzeug", "3.0.6")
    assert affects(RECORD, "flask", "2.0.0") and not affects(RECORD, "flask", "2.0.1")


def test_the_local_service_answers_the_osv_query(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "GHSA-test.json").write_text(json.dumps(RECORD))
    server = serve(load(tmp_path))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"

        def query(name, version):
            body = json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version}).encode()
            with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST")) as answer:
                return json.loads(answer.read())

        assert [v["id"] for v in query("werkzeug", "2.3.8")["vulns"]] == ["GHSA-test"]
        assert query("werkzeug", "3.1.0") == {}
    finally:
        server.shutdown()
