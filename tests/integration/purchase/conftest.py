from tests.integration.gateway.conftest import admin, api, seeded, system  # noqa: F401 -- shared fixtures
