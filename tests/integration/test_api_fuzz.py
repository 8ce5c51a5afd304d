"""The JSON API fuzzed with schemathesis from its own OpenAPI document, signed in as each role
(and not at all): no 5xx, and every response matches its documented status, content type and
schema. Bounded here (FUZZ_EXAMPLES cases per operation, default 3) on the demo's data."""
from __future__ import annotations

import os
import warnings

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import select

from procurement.parties.models import User
from procurement.seed import seed_demo
from tests import factories

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
USERS = {"buyer": "buyer.camden@demo.londonconnects.example", "supplier": "supplier.thames@demo.londonconnects.example",
         "agency": "agency.lead@demo.londonconnects.example", "admin": "admin@demo.londonconnects.example"}


@pytest.mark.parametrize("role", ["anonymous", *USERS])
def test_the_api_as_each_role(app, session, role):
    import schemathesis
    import schemathesis.checks as checks

    seed_demo(session)
    session.flush()
    headers = {}
    if role != "anonymous":
        user = session.scalar(select(User).where(User.email == USERS[role]))
        headers = {"Authorization": f"Bearer {factories.token_for(session, user, days=30)}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    wanted = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
              checks.response_schema_conformance]
    failures: dict[str, str] = {}
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            nonlocal calls
            calls += 1
            case.call_and_validate(headers=headers, checks=wanted)

        try:
            call()
        except BaseException as error:  # schemathesis groups its failures; keep the first lines of each
            if isinstance(error, KeyboardInterrupt):
                raise
            failures[operation.label] = " ".join(str(error).split())[:400]
    assert calls > 100
    assert failures == {}, "\n".join(f"{label}: {message}" for label, message in failures.items())
