"""schemathesis over every operation of /openapi.json, against the whole system running: generated
requests (admin ones with the bootstrap token) must never be a server error, and every answer must
be one the document lists, with the content type and the schema it gives. A bounded number of
examples per operation keeps it to a couple of minutes on a small machine (KAMENG_FUZZ_EXAMPLES)."""

import contextlib
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("KAMENG_FUZZ_EXAMPLES", "12"))


def failures_of(operation, base_url, headers):
    failures = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: a failure here is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=10)
        except BaseException as exc:
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
            raise

    with contextlib.suppress(BaseException):  # hypothesis re-raises the failure after it is recorded
        call()
    return failures[-1:]


@pytest.mark.timeout(600)
def test_every_operation_answers_as_documented(system, admin):
    base_url = system["BASE_URL"]
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {system['ADMIN_TOKEN']}"}
    found, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        found += failures_of(operation, base_url, headers)
    assert operations > 40
    assert not found, "\n\n".join(found)
