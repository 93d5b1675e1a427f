"""Property-based run of the API against its own description (/api/v1/openapi.json): schemathesis makes
requests from the documented parameters and bodies (and bends them: huge numbers, odd strings, wrong
types), as a clerk and as an administrator; no answer may be a 5xx, and every answer must be one the
document names. In process against the Flask app, a bounded number of examples per operation."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from .bpmn_util import one_task

EXAMPLES = 15  # per operation: 18 operations x 15 examples x 2 users = 540 requests, about 25 s
CALLS: list[int] = []  # status codes seen, for the closing note's figure


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        yield result.ok()


def _fuzz(operation, api, problems: list[str]) -> None:
    documented = operation.definition.raw.get("responses", {})

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    # the documented values (positive) and values the document excludes (negative: wrong types,
    # out-of-range numbers, missing fields): 4xx for the latter, never a 5xx for either
    @given(case=operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE))
    def fuzz(case):
        for who in ("clerk", "admin"):
            headers = {**(case.headers or {}), "Authorization": f"Bearer {api.tokens[who]}"}
            response = case.call(headers=headers)
            CALLS.append(response.status_code)
            if response.status_code >= 500 or str(response.status_code) not in documented:
                problems.append(f"{who}: {case.method} {case.formatted_path} query={case.query} "
                                f"body={str(case.body)[:200]} -> {response.status_code} {response.text[:300]}")

    fuzz()


def test_no_request_from_the_description_gives_a_5xx(api):
    api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    api.user("admin", ("admins",))
    assert api.deploy("designer", one_task()).status_code == 201
    assert api.start("clerk", "p").status_code == 201
    problems: list[str] = []
    for operation in _operations(api.client.application):
        _fuzz(operation, api, problems)
    print(f"fuzzing: {len(CALLS)} requests, statuses {sorted(set(CALLS))}")
    assert not problems, "\n".join(dict.fromkeys(problems))
