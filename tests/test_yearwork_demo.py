"""The year's work on the demo district: the search box, the filtered case list, and the Excel and CSV
files read back and compared with figures counted straight from the facts rows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine import identity
from engine.store import Case
from workflows import caselist, exports, statistics
from workflows.cases import CaseFacts, CaseUnit
from workflows.search import CaseSearch

from .test_demo import district  # noqa: F401  (one demo load for this module)
from .test_web_cases import signed_in


@pytest.fixture(scope="module")
def app(district):  # noqa: F811
    from webui.app import create_app

    application = create_app(ctx=district[0])
    application.config["TESTING"] = True
    return application


def find(ctx, username, **filters):
    with ctx.db.session() as session:
        user = identity.get_user(session, username)
        return [(c.id, c.number) for c, _f in caselist.find(session, user, caselist.Filters(**filters), limit=None)]


def water_cases(session) -> set[int]:
    return set(session.scalars(select(CaseUnit.case_id).where(CaseUnit.unit == "unit_water")))


def test_every_case_has_its_row_in_the_index(district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        cases = session.scalar(select(func.count()).select_from(Case))
        assert session.scalar(select(func.count()).select_from(CaseSearch)) == cases
        if ctx.db.engine.dialect.name == "sqlite":  # the FTS5 table follows its rows (triggers)
            from sqlalchemy import text

            assert session.scalar(text("SELECT count(*) FROM case_search_fts WHERE document LIKE '%区水务局%'")) \
                == session.scalar(select(func.count()).select_from(CaseSearch)
                                  .where(CaseSearch.document.like("%区水务局%")))


def test_shui_wu_finds_the_water_bureaus_cases(district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        expected = water_cases(session)
    assert len(expected) >= 3
    found = {case_id for case_id, _n in find(ctx, "supervisor", q="水务")}
    assert expected <= found
    assert {case_id for case_id, _n in find(ctx, "supervisor", q="区水务局")} == found  # the FTS5/trigram path
    # two words: both must occur
    both = {case_id for case_id, _n in find(ctx, "supervisor", q="水务 城建")}
    assert both and both < found


def test_search_by_number_body_proposer_category_stage_and_year(district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        case = session.scalars(select(Case).where(Case.title == "关于加快雨污分流改造的建议")).one()
        body = str(case.data["body"])[5:12]
        qian = set(session.scalars(select(CaseFacts.case_id).where(CaseFacts.proposer == "deputy_qian")))
        replied_stage = set(session.scalars(select(Case.id).where(Case.stage == "已办结")))
        year = max(statistics.years(session))
    assert [n for _i, n in find(ctx, "supervisor", q=case.number)] == [case.number]
    tail = case.number.split()[1]  # "2026-0007": the suggestion and the proposal of that number
    assert sorted(n for _i, n in find(ctx, "supervisor", q=tail)) == [f"建议 {tail}", f"提案 {tail}"]
    assert case.id in {i for i, _n in find(ctx, "supervisor", q=body)}
    assert {i for i, _n in find(ctx, "supervisor", q="钱代表")} >= qian and qian
    assert {i for i, _n in find(ctx, "supervisor", q="已办结")} >= replied_stage
    assert len(find(ctx, "supervisor", q=f"{year}年")) >= 40
    assert find(ctx, "supervisor", q="没有这样的案件") == []


def test_search_shows_only_what_a_person_may_see(district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        mine = set(session.scalars(select(Case.id).where(Case.started_by == "deputy_qian")))
    found = {i for i, _n in find(ctx, "deputy_qian", q="建议")}
    everything = {i for i, _n in find(ctx, "supervisor", q="建议")}
    assert mine & everything <= found < everything


def test_filters_and_sorting(district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        year = max(statistics.years(session))
        class_a = set(session.scalars(select(CaseFacts.case_id).where(CaseFacts.result_class == "A")))
        session_a = set(session.scalars(select(CaseFacts.case_id).where(
            CaseFacts.session_label == "十八届人大三次会议")))
        water = water_cases(session)
    assert {i for i, _n in find(ctx, "supervisor", result_class="A")} == class_a and class_a
    assert {i for i, _n in find(ctx, "supervisor", session_label="十八届人大三次会议")} == session_a
    assert {i for i, _n in find(ctx, "supervisor", unit="unit_water")} == water
    assert find(ctx, "supervisor", year=year - 5) == []
    numbers = [n for _i, n in find(ctx, "supervisor", process_key="suggestion", sort="number")]
    assert numbers == sorted(numbers) and len(numbers) >= 28
    assert [n for _i, n in find(ctx, "supervisor", process_key="suggestion", sort="-number")] == numbers[::-1]


def test_the_api_searches_and_refuses_bad_filters(app, district):  # noqa: F811
    ctx, _ = district
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "supervisor", "password": "demo1234"}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    with ctx.db.session() as session:
        water = water_cases(session)
    answer = client.get("/api/v1/cases", query_string={"q": "水务", "limit": 1000}, headers=headers)
    assert answer.status_code == 200 and water <= {c["id"] for c in answer.get_json()}
    for bad in ({"year": "soon"}, {"class": "E"}, {"sort": "secret"}, {"status": "asleep"}):
        answer = client.get("/api/v1/cases", query_string=bad, headers=headers)
        assert answer.status_code == 400 and answer.get_json()["error"] == "bad_request", bad


def test_the_case_list_page_searches_and_filters(app, district):  # noqa: F811
    web = signed_in(app, "supervisor")
    html = web.get("/cases", query_string={"q": "水务"}).get_data(as_text=True)
    assert "关于加快雨污分流改造的建议" in html and "区水务局" in html
    html = web.get("/cases", query_string={"sort": "nonsense"}).get_data(as_text=True)
    assert 'id="filter-problem"' in html
    html = web.get("/cases", query_string={"sort": "number"}).get_data(as_text=True)
    assert 'aria-sort="ascending"' in html and 'href="/cases?sort=-number"' in html


def read_sheet(content: bytes, title: str):
    book = load_workbook(io.BytesIO(content))
    sheet = book[title]
    rows = list(sheet.iter_rows(values_only=True))
    return sheet, rows[1], rows[2:]


def test_the_case_list_in_excel_is_the_filtered_list(app, district):  # noqa: F811
    ctx, _ = district
    web = signed_in(app, "supervisor")
    answer = web.get("/cases/export.xlsx", query_string={"q": "水务"})
    assert answer.status_code == 200 and answer.mimetype == exports.XLSX_TYPE
    sheet, header, rows = read_sheet(answer.data, "案件清单")
    assert header == exports.CASE_COLUMNS and sheet.freeze_panes == "B3"
    expected = find(ctx, "supervisor", q="水务")
    assert [r[0] for r in rows] == [n for _i, n in expected]
    assigned = [r[header.index("交办日期")] for r in rows if r[header.index("交办日期")] is not None]
    assert assigned and all(isinstance(d, datetime | date) for d in assigned)  # dates, not text
    assert all(isinstance(r[header.index("二次办理轮次")], int) for r in rows)
    assert any(r[header.index("主办单位")] == "区水务局" for r in rows)


def test_export_permissions(app, district):  # noqa: F811
    assert signed_in(app, "deputy_qian").get("/cases/export.xlsx").status_code == 403
    assert signed_in(app, "water_clerk").get("/cases/export.xlsx").status_code == 403
    assert signed_in(app, "water_clerk").get("/statistics/export.xlsx").status_code == 403
    assert signed_in(app, "liaison").get("/statistics/summary.xlsx").status_code == 403
    liaison = signed_in(app, "liaison").get("/cases/export.xlsx")  # the assigning office: its own cases
    assert liaison.status_code == 200
    _s, _h, rows = read_sheet(liaison.data, "案件清单")
    assert len(rows) == len(find(ctx := district[0], "liaison")) and len(rows) < len(find(ctx, "supervisor"))


def test_the_statistics_workbook_gives_the_reports_figures(app, district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        year = max(statistics.years(session))
        report = statistics.report(ctx, session, year)
        # counted by hand from the facts rows: the water bureau's cases assigned in the year
        water = select(CaseFacts).where(CaseFacts.lead_unit == "unit_water", CaseFacts.year == year,
                                        CaseFacts.assigned_at.is_not(None))
        rows = list(session.scalars(water))
        water_assigned, water_replied = len(rows), sum(r.replied_at is not None for r in rows)
        water_a = sum(r.result_class == "A" for r in rows)
    web = signed_in(app, "supervisor")
    content = web.get("/statistics/export.xlsx", query_string={"year": year}).data
    sheet, header, body = read_sheet(content, "统计")
    assert header == exports.STATISTICS_COLUMNS and sheet.freeze_panes == "B3"
    by_unit = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    overall = by_unit["全部单位"]
    assert overall["交办件数"] == report["overall"]["counts"]["assigned"]
    assert overall["办复率"] == pytest.approx(report["overall"]["reply_rate"], abs=1e-4)
    water_row = by_unit["区水务局"]
    assert (water_row["交办件数"], water_row["已答复"], water_row["A类"]) == (water_assigned, water_replied, water_a)
    assert water_row["办复率"] == pytest.approx(water_replied / water_assigned, abs=1e-4)
    assert sheet.cell(row=3, column=header.index("办复率") + 1).number_format == exports.PERCENT
    _s, header, body = read_sheet(content, "办理情况汇总表")
    total = dict(zip(header, body[-1], strict=True))
    assert total["承办单位"] == "合计" and total["主办件数"] == sum(r[1] for r in body[:-1]) \
        == report["overall"]["counts"]["assigned"]
    summary = web.get("/statistics/summary.xlsx", query_string={"year": year}).data
    assert load_workbook(io.BytesIO(summary)).sheetnames == ["办理情况汇总表"]


def test_csv_over_the_api(app, district):  # noqa: F811
    ctx, _ = district
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "supervisor", "password": "demo1234"}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    answer = client.get("/api/v1/cases/export", query_string={"q": "水务"}, headers=headers)
    assert answer.status_code == 200 and answer.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == exports.CASE_COLUMNS
    assert [r[0] for r in rows[1:]] == [n for _i, n in find(ctx, "supervisor", q="水务")]
    with ctx.db.session() as session:
        year = max(statistics.years(session))
        report = statistics.report(ctx, session, year)
    answer = client.get("/api/v1/statistics/export", query_string={"year": year}, headers=headers)
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert int(rows[1][1]) == report["overall"]["counts"]["assigned"]
    member = client.post("/api/v1/auth/token", json={"username": "member_wu", "password": "demo1234"}).get_json()
    refused = client.get("/api/v1/statistics/export", headers={"Authorization": f"Bearer {member['token']}"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
