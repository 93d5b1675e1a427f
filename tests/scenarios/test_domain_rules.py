"""Rules of ../shared/DOMAIN.md that had no test of their own (docs/domain-coverage.md lists every rule and its
tests): the title and body limits of the case data, and the grounds of a pre-review return and of a rejection."""

from __future__ import annotations

import pytest

from engine.errors import Invalid

from ..conftest import BACKENDS
from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import District

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

RETURN_GROUNDS = {"outside_authority", "settled", "against_law", "unbudgetable", "personal", "litigation", "petition",
                  "empty"}
REJECT_GROUNDS = {"state_secret", "personal", "litigation", "academic", "promotion", "accusation", "party_internal",
                  "empty"}


def test_a_title_over_100_or_a_body_over_5000_characters_is_refused_naming_the_field(district: District):
    for field, text in (("title", "长" * 101), ("body", "长" * 5001)):
        with pytest.raises(Invalid) as refused:
            suggestions.submit(district, **{field: text})
        assert [d["field"] for d in refused.value.details] == [field]
    case = district.start("member_chen", "proposal", {"title": "关于X的提案", "proposer": "member_chen"})
    for field, text in (("title", "长" * 101), ("body", "长" * 5001)):
        with pytest.raises(Invalid) as refused:
            district.complete("member_chen", case, "submit_proposal", {**proposals.PROPOSAL, field: text})
        assert [d["field"] for d in refused.value.details] == [field]
    assert district.open_elements(case) == ["submit_proposal"]
    suggestions.submit(district, title="长" * 100, body="长" * 5000)  # at the limits: accepted


def options(district: District, case: int, element: str, field: str) -> set[str]:
    [spec] = [f for f in district.task(case, element).form if f["id"] == field]
    return {str(o["id"]) for o in spec["options"]}


def test_the_grounds_of_a_return_and_of_a_rejection_are_the_stated_ones(district: District):
    suggestion = suggestions.submit(district, cosigners=[])
    assert options(district, suggestion, "pre_review", "return_ground") == RETURN_GROUNDS
    proposal = proposals.submit(district)
    district.complete("committee_clerk", proposal, "initial_review", {"initial_outcome": "pass"})
    district.complete("committee_clerk", proposal, "re_review", {"re_review_outcome": "pass",
                                                                 "review_units": proposals.LEAD})
    district.complete(f"{proposals.LEAD}_clerk", proposal, "joint_review", {"joint_decision": "confirm"})
    assert options(district, proposal, "review_decision", "reject_ground") == REJECT_GROUNDS
