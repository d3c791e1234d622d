"""The implementation against its own OpenAPI 3.1 document, property-based (schemathesis), on
SQLite and PostgreSQL: every operation, with generated parameters and bodies, answers with a
status, content type, headers and body the document describes, and never a server error."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)
from schemathesis.checks import not_a_server_error

from survey_app.access import Area

from .conftest import answer_world, make_token

EXAMPLES = 25  # per operation: the whole run stays well under a minute per database


def test_openapi_document_is_3_1_and_complete(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) >= {"/api/v1/campaigns", "/api/v1/campaigns/{campaign_id}",
                                  "/api/v1/campaigns/{campaign_id}/rankings", "/api/v1/campaigns/{campaign_id}/coverage",
                                  "/api/v1/campaigns/{campaign_id}/dimensions",
                                  "/api/v1/campaigns/{campaign_id}/rectification-items",
                                  "/api/v1/campaigns/{campaign_id}/rectification-rates", "/api/v1/hotline-cases"}
    problem = spec["paths"]["/api/v1/hotline-cases"]["post"]["responses"]["422"]["content"]
    assert list(problem) == ["application/problem+json"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/campaigns/{campaign_id}/rankings" in page.get_data(as_text=True)
    assert "<script" not in page.get_data(as_text=True)


def test_the_api_keeps_to_its_document(app, world):
    answer_world(world)
    token = make_token(Area("city"), can_write=True, name="schemathesis", rate_limit="100000 per minute")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Not positive_data_acceptance: a well-formed request may name a campaign or compound that does
    # not exist (a 404 problem, documented).
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
              response_schema_conformance, negative_data_rejection]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES if mode == GenerationMode.POSITIVE else EXAMPLES // 2, deadline=None,
                      database=None, derandomize=True, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
            def check(case, real):
                if real and mode == GenerationMode.POSITIVE:  # half of the valid requests reach real data
                    if "campaign_id" in (case.path_parameters or {}):
                        case.path_parameters["campaign_id"] = world.campaign.id
                    if isinstance(case.body, dict) and "compound_id" in case.body:
                        case.body.update(compound_id=world.k1.id, category="other")
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

            check()
