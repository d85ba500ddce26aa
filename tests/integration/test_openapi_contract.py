"""Schemathesis against /api/openapi.json: generated requests, bounded in number,
get no 5xx, and every answer matches the document."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from services.documents.service import DocumentsService
from tests.integration.test_web import site  # noqa: F401  (the running services and a published event)

EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def api_site(site, runner_factory, service_config):  # noqa: F811
    """The site, with documents running too: a certificate's verification asks its register."""
    runner_factory(dict(service_config, DOCUMENTS_RENDER_PROCESSES=1), DocumentsService).start()
    return site


def test_the_api_keeps_its_contract(api_site):
    web, _event, _cluster = api_site
    base = web.get("/api/openapi.json").url.rsplit("/api/", 1)[0]
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def check(case):
            # Schema-valid but refused is expected here: an IČO's check digit, a full event or
            # a closed registration are rules no schema expresses. The answers must still be
            # no 5xx and match the document.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        check()
        checked.append(operation.label)
    assert len(checked) == 16, checked
