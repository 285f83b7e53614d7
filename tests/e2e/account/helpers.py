"""Helpers of the staff tests (issue 18): rows as the services left them."""

from sqlalchemy import create_engine, text


def rows(config, sql, **params):
    engine = create_engine(config["DATABASE_URL"])
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def audit(config, schema, action, subject=None):
    where = "action = :action" + (" AND subject = :subject" if subject is not None else "")
    return rows(
        config,
        f"SELECT actor, data FROM {schema}.audit WHERE {where} ORDER BY id",
        action=action,
        subject=subject,
    )


def csrf_header(api):
    import re

    return {"X-CSRF-Token": re.search(r'<meta name="csrf-token" content="([^"]+)"', api.get("/admin").text).group(1)}
