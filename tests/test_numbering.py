"""Case numbers: "建议 2026-0042" / "提案 2026-0007", counted per case type and year (the year in the
district's zone), gap-free, and unique when many cases start at the same moment."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

import workflows
from engine import identity
from engine.cases import runtime
from engine.store import Case

from .bpmn_util import one_task
from .conftest import BACKENDS, deploy_xml

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def domain(ctx):
    workflows.install(ctx)
    for key in ("suggestion", "proposal", "other"):
        deploy_xml(ctx, one_task(key, 'camunda:candidateGroups="liaison_office"'), f"{key}.bpmn")
    with ctx.db.session() as session:
        identity.add_user(session, "deputy", "secret-pw", ["deputies"])
    return ctx


def start(ctx, key: str) -> str:
    with ctx.db.session() as session:
        return runtime.start_case(ctx, session, identity.get_user(session, "deputy"), key, "t").number


def test_numbers_count_per_type_and_year_in_the_district_zone(domain):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)):
        assert [start(domain, "suggestion") for _ in range(3)] == ["建议 2026-0001", "建议 2026-0002", "建议 2026-0003"]
        assert start(domain, "proposal") == "提案 2026-0001"
        assert start(domain, "other").startswith("other-2026-")  # not a case type: the engine's own number
    # 31 December 16:30 UTC is already 1 January in Shanghai: the new year starts again at 1
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI)):
        assert start(domain, "suggestion") == "建议 2027-0001"
        assert start(domain, "proposal") == "提案 2027-0001"
    with time_machine.travel(datetime(2026, 12, 31, 23, 0, tzinfo=SHANGHAI)):
        assert start(domain, "suggestion") == "建议 2026-0004"


def test_a_case_whose_start_fails_gives_its_number_back(domain):
    assert start(domain, "suggestion").endswith("-0001")
    with pytest.raises(RuntimeError), domain.db.session() as session:
        runtime.start_case(domain, session, identity.get_user(session, "deputy"), "suggestion", "t")
        raise RuntimeError("the request failed after the case was numbered")
    assert start(domain, "suggestion").endswith("-0002")


@pytest.mark.parametrize("backend", BACKENDS)
def test_cases_started_at_the_same_moment_get_distinct_consecutive_numbers(domain):
    n = 8
    barrier = threading.Barrier(n)
    errors: list[str] = []

    def worker() -> None:
        try:
            with domain.db.session() as session:
                user = identity.get_user(session, "deputy")
                barrier.wait(timeout=10)
                runtime.start_case(domain, session, user, "suggestion", "same moment")
        except Exception as err:  # pragma: no cover - reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    year = datetime.now(SHANGHAI).year
    with domain.db.session() as session:
        numbers = sorted(session.scalars(select(Case.number).where(Case.process_key == "suggestion")))
    assert numbers == [f"建议 {year}-{i:04d}" for i in range(1, n + 1)]
