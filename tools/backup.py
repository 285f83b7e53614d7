"""Backups: one pg_dump per service schema (each service owns its schema and can be restored
alone), with a manifest of row counts that `restore` checks afterwards.

    python -m tools.backup dump [folder]            # make backup: var/backups/<UTC time>/
    python -m tools.backup restore <backup folder> [service ...]   # make restore BACKUP=...

Card codes are dumped as they are stored: encrypted (AES-GCM under KAMENG_DATA_KEY). A backup is
therefore useless without the data key, and the key is never written into it: keep the two apart.
Restoring replaces the named schemas (all by default) in KAMENG_DATABASE_URL's database, which
is created if missing; run it with the services stopped."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from services.common.config import SERVICES, settings
from services.common.migrate import ensure_database

MANIFEST = "manifest.json"


def libpq_args(url):
    """pg_dump/pg_restore connection options, the password passed through the environment."""
    u = make_url(url)
    args = [
        "--host",
        u.host or "127.0.0.1",
        "--port",
        str(u.port or 5432),
        "--username",
        u.username or "postgres",
        "--dbname",
        u.database,
    ]
    return args, ({"PGPASSWORD": u.password} if u.password else {})


def row_counts(url, schemas):
    engine = create_engine(url)
    try:
        counts = {}
        with engine.connect() as conn:
            for schema in schemas:
                for table in sorted(inspect(conn).get_table_names(schema=schema)):
                    counts[f"{schema}.{table}"] = conn.execute(
                        text(f'SELECT count(*) FROM "{schema}"."{table}"')
                    ).scalar_one()
        return counts
    finally:
        engine.dispose()


def dump(url, folder, schemas=SERVICES):
    """One custom-format dump per schema and the manifest; answers the backup's folder."""
    target = Path(folder) / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target.mkdir(parents=True, exist_ok=False)
    args, env = libpq_args(url)
    for schema in schemas:
        run(
            [
                "pg_dump",
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--schema={schema}",
                f"--file={target / f'{schema}.dump'}",
            ],
            env,
        )
    # counted after the dumps: a change in between shows up as a mismatch on restore, not silently
    (target / MANIFEST).write_text(
        json.dumps(
            {"schemas": list(schemas), "counts": row_counts(url, schemas), "made_at": target.name},
            indent=2,
            sort_keys=True,
        )
    )
    return target


def restore(url, backup, schemas=None):
    """Replace `schemas` (default: all in the backup) from `backup`; answers the mismatched counts
    ({} when every table has the rows the manifest lists)."""
    backup = Path(backup)
    manifest = json.loads((backup / MANIFEST).read_text())
    schemas = list(schemas or manifest["schemas"])
    missing = [s for s in schemas if not (backup / f"{s}.dump").is_file()]
    if missing:
        raise SystemExit(f"not in this backup: {', '.join(missing)}")
    ensure_database(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()
    args, env = libpq_args(url)
    for schema in schemas:
        run(
            [
                "pg_restore",
                *args,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                str(backup / f"{schema}.dump"),
            ],
            env,
        )
    expected = {t: n for t, n in manifest["counts"].items() if t.split(".")[0] in schemas}
    found = row_counts(url, schemas)
    return {
        t: {"expected": expected.get(t), "found": found.get(t)}
        for t in sorted(set(expected) | set(found))
        if expected.get(t) != found.get(t)
    }


def run(cmd, env):
    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {done.stderr.strip()}")


def main(argv):
    url = settings().database_url
    if argv[:1] == ["dump"]:
        folder = dump(url, argv[1] if len(argv) > 1 else "var/backups")
        print(f"backup written to {folder} (codes inside stay encrypted; keep KAMENG_DATA_KEY elsewhere)")
    elif argv[:1] == ["restore"] and len(argv) >= 2:
        mismatches = restore(url, argv[1], argv[2:])
        if mismatches:
            raise SystemExit(f"restored, but row counts differ from the manifest: {mismatches}")
        print(f"restored {argv[1]} into {make_url(url).render_as_string()}; row counts match the manifest")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
