"""A paper suggestion the liaison office registers on a deputy's behalf reaches the deputy: in 我的建议, and with a
notice that it was registered for them (told once), then the usual milestones."""

from __future__ import annotations

from .conftest import District
from .test_portal import milestones_of, prefixes
from .test_suggestion import SUGGESTION


def test_the_deputy_hears_that_the_office_registered_it_and_finds_it_on_the_portal(district: District, app):
    from .test_case_roles_web import signed_in

    case = district.start("liaison_clerk", "suggestion", {**SUGGESTION, "cosigners": [], "proposer": "deputy_wang"})
    assert prefixes(milestones_of(district, "deputy_wang")) == ["已代为登记"]
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})
    assert prefixes(milestones_of(district, "deputy_wang")) == ["已代为登记", "已受理"]
    page = signed_in(app, "deputy_wang").get("/portal/").get_data(as_text=True)
    assert f'data-case="{case}"' in page and SUGGESTION["title"] in page
    # a deputy's own submission is not "registered for them"
    district.start("deputy_li", "suggestion", {**SUGGESTION, "cosigners": [], "proposer": "deputy_li"})
    assert milestones_of(district, "deputy_li") == []
