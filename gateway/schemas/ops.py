"""/healthz and /readyz (gateway/routes/ops.py)."""

from marshmallow import Schema, fields


class ServiceHealth(Schema):
    status = fields.String()
    database = fields.String()


class Ready(Schema):
    status = fields.String(metadata={"enum": ["ok"]})


class Health(Schema):
    status = fields.String(metadata={"enum": ["ok", "unavailable"]})
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ServiceHealth))


def health(answers):
    """(status, body) of /healthz from each service's ping answer (or the exception instead)."""
    services = {
        name: (
            {"status": "ok", **answer}
            if not isinstance(answer, Exception)
            else {"status": "unavailable", "database": "unknown"}
        )
        for name, answer in sorted(answers.items())
    }
    healthy = all(s["status"] == "ok" for s in services.values())
    body = Health().dump({"status": "ok" if healthy else "unavailable", "services": services})
    if not healthy:
        body["error"] = {"code": "unavailable", "message": "not every service answered"}
    return (200 if healthy else 503), body
