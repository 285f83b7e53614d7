"""`make audit`'s dependency check: pip-audit (from .venv-tools) over what .venv has installed,
against a local snapshot of the OSV advisories for PyPI, never the network.

The snapshot is a directory of OSV JSON records (OSV's PyPI export, unpacked; ADVISORY_DB,
default var/advisories/pypi), refreshed by whoever has network and copied here. This script serves
it on 127.0.0.1 with the one OSV call pip-audit makes (`POST {"package", "version"}` -> `{"vulns"}`)
and points pip-audit's `--osv-url` at it. No snapshot: it says so and skips (exit 0); a finding
exits 1. Runs with .venv-tools' Python (stdlib and `packaging`, which pip-audit brings)."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def load(directory: Path) -> dict[str, list[dict]]:
    """Records by the canonical name of each PyPI package they affect."""
    index: dict[str, list[dict]] = {}
    for path in directory.rglob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        for affected in record.get("affected", []):
            package = affected.get("package", {})
            if package.get("ecosystem") == "PyPI":
                index.setdefault(canonicalize_name(package["name"]), []).append(record)
    return index


def in_range(version: Version, events: list[dict]) -> bool:
    """OSV's ECOSYSTEM range: affected from each `introduced` up to its `fixed` (or through its
    `last_affected`), the events taken in version order."""
    affected = False
    for event in sorted(events, key=lambda e: Version(next(iter(e.values())))):
        kind, value = next(iter(event.items()))
        at = Version(value)
        if kind == "introduced" and version >= at:
            affected = True
        elif kind in ("fixed", "last_affected") and (version >= at if kind == "fixed" else version > at):
            affected = False
    return affected


def affects(record: dict, name: str, version: str) -> bool:
    try:
        parsed = Version(version)
    except InvalidVersion:
        parsed = None
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        if version in affected.get("versions", []):
            return True
        for rng in affected.get("ranges", []):
            if rng.get("type") == "ECOSYSTEM" and parsed is not None and in_range(parsed, rng.get("events", [])):
                return True
    return False


def serve(index: dict[str, list[dict]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            name, version = canonicalize_name(query["package"]["name"]), query["version"]
            vulns = [r for r in index.get(name, []) if affects(r, name, version)]
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    database = Path(os.environ.get("ADVISORY_DB") or "var/advisories/pypi")
    site = Path(os.environ.get("AUDIT_SITE_PACKAGES") or ".venv/lib/python3.11/site-packages")
    if not database.is_dir() or not any(database.rglob("*.json")):
        print(
            f"pip-audit skipped: no advisory snapshot in {database} (unpack OSV's PyPI export there, "
            "or set ADVISORY_DB; docs/security.md)"
        )
        return 0
    server = serve(load(database))
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        "--vulnerability-service",
        "osv",
        "--osv-url",
        f"http://127.0.0.1:{server.server_address[1]}/",
        "--path",
        str(site),
        "--progress-spinner",
        "off",
        *sys.argv[1:],
    ]
    try:
        return subprocess.call(command)
    finally:
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
