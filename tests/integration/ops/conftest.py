from tests.integration.gateway.conftest import seeded  # noqa: F401 -- shared fixture
