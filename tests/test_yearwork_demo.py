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


# -- charts, the dashboard and print ----------------------------------------------------------------

def test_the_statistics_page_draws_its_charts_with_titles_and_compares_years(app, district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        year = max(statistics.years(session))
        report = statistics.report(ctx, session, year)
    html = signed_in(app, "supervisor").get("/statistics", query_string={"year": year}).get_data(as_text=True)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 10
    assert 'role="img"' in html and "<title id=" in html and 'id="year-compare"' in html
    # the trend's table gives the months' counts; they add up to the year's assigned cases
    trend = html.split('id="chart-trend"', 1)[1].split("</table>", 1)[0]
    import re

    assigned = [int(a) for a in re.findall(r'<th scope="row">\d+</th><td>(\d+)</td>', trend)]
    # (cases: a split case is one case here, though each of its parts counts as an assignment of its unit)
    with ctx.db.session() as session:
        from sqlalchemy import func, select

        from workflows.cases import CaseFacts, CaseUnit
        cases = session.scalar(select(func.count()).select_from(CaseFacts).where(
            CaseFacts.year == year, CaseFacts.assigned_at.is_not(None)))
        split_parts = session.scalar(select(func.count()).select_from(CaseUnit).join(
            CaseFacts, CaseFacts.case_id == CaseUnit.case_id).where(CaseFacts.year == year, CaseUnit.role == "split"))
        split_cases = session.scalar(select(func.count(func.distinct(CaseUnit.case_id))).join(
            CaseFacts, CaseFacts.case_id == CaseUnit.case_id).where(CaseFacts.year == year, CaseUnit.role == "split"))
    assert len(assigned) == 12 and sum(assigned) == cases
    assert report["overall"]["counts"]["assigned"] == cases - split_cases + split_parts
    # the units' names reach the charts escaped, as text
    assert "区水务局" in html.split('id="statistics-charts"', 1)[1]
    printed = signed_in(app, "supervisor").get("/statistics/print", query_string={"year": year})
    assert printed.status_code == 200 and "示范区" in printed.get_data(as_text=True)
    assert signed_in(app, "water_clerk").get("/statistics/print").status_code == 403


def test_the_statistics_take_a_session(app, district):  # noqa: F811
    web = signed_in(app, "supervisor")
    html = web.get("/statistics", query_string={"session": "十八届人大三次会议"}).get_data(as_text=True)
    assert '<option value="十八届人大三次会议" selected' in html
    assert web.get("/statistics", query_string={"session": "第九十九次会议"}).status_code == 400


def test_reply_letter_and_evaluation_form(app, district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        replied = session.scalars(select(Case).where(Case.process_key == "suggestion", Case.stage == "已办结")
                                  .order_by(Case.id)).first()
        waiting = session.scalars(select(Case).where(Case.process_key == "suggestion", Case.stage == "待审核")).first()
        proposer = replied.data["proposer"]
    web = signed_in(app, proposer)
    letter = web.get(f"/cases/{replied.id}/print/reply").get_data(as_text=True)
    assert replied.data["reply_text"][:20] in letter and replied.number in letter and "@page" not in letter
    form = web.get(f"/cases/{replied.id}/print/evaluation").get_data(as_text=True)
    assert "征询意见表" in form and form.count("■") == 2  # the two ratings given, marked
    assert signed_in(app, "supervisor").get(f"/cases/{waiting.id}/print/reply").status_code == 409
    stranger = "deputy_zhou" if proposer != "deputy_zhou" else "deputy_zhao"
    assert signed_in(app, stranger).get(f"/cases/{replied.id}/print/reply").status_code == 404


# -- the battle map (last: it closes a milestone out) ---------------------------------------------

def test_the_battle_map_rows_follow_the_checklists(district):  # noqa: F811
    from workflows.battlemap import CaseMilestone

    ctx, _ = district
    with ctx.db.session() as session:
        cases = [c for c in session.scalars(select(Case).where(Case.process_key == "suggestion"))
                 if c.data.get("checklist")]
        rows = list(session.scalars(select(CaseMilestone)))
        assert len(rows) == sum(len(c.data["checklist"]) for c in cases) >= 6
        open_rows = [r for r in rows if not r.done]
        assert open_rows and all(r.task_id for r in open_rows if session.get(Case, r.case_id).status == "running")
        assert all(r.task_id is None for r in rows if r.done)


def test_the_battle_map_page_and_who_may_close_out(app, district):  # noqa: F811
    from workflows.battlemap import CaseMilestone

    ctx, _ = district
    with ctx.db.session() as session:
        row = session.scalars(select(CaseMilestone).where(CaseMilestone.task_id.is_not(None))
                              .order_by(CaseMilestone.due)).first()
        case_id, seq, unit, year = row.case_id, row.seq, row.unit, row.due.year
        clerk = next(u.username for u in session.scalars(select(identity.User))
                     if unit in u.group_names and u.username.endswith("_clerk"))
    board = signed_in(app, "supervisor").get("/battle-map", query_string={"year": year}).get_data(as_text=True)
    assert f'id="m-{case_id}-{seq}"' in board and 'id="battle-map"' in board
    assert 'class="flag-form compact close-out"' not in board  # supervisors watch; the unit closes out
    assert signed_in(app, "deputy_li").get("/battle-map").status_code == 403
    other = "water_clerk" if unit != "unit_water" else "edu_clerk"
    web = signed_in(app, other)
    assert f'id="m-{case_id}-{seq}"' not in web.get("/battle-map", query_string={"year": year}).get_data(as_text=True)
    page = web.get("/battle-map").get_data(as_text=True)
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = web.post(f"/battle-map/{case_id}/{seq}/close", data={"result": "完成", "csrf_token": csrf})
    assert refused.status_code == 404
    web = signed_in(app, clerk)
    page = web.get("/battle-map", query_string={"year": year}).get_data(as_text=True)
    assert f'action="/battle-map/{case_id}/{seq}/close"' in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    empty = web.post(f"/battle-map/{case_id}/{seq}/close", data={"result": " ", "csrf_token": csrf})
    assert empty.status_code == 302
    with ctx.db.session() as session:
        assert session.get(CaseMilestone, (case_id, seq)).done is False
    done = web.post(f"/battle-map/{case_id}/{seq}/close", data={"result": "已按期完成", "csrf_token": csrf})
    assert done.status_code == 302
    with ctx.db.session() as session:
        row = session.get(CaseMilestone, (case_id, seq))
        assert row.done and row.result == "已按期完成" and row.task_id is None
    again = web.post(f"/battle-map/{case_id}/{seq}/close", data={"result": "再次", "csrf_token": csrf})
    assert again.status_code == 409


def test_the_appraisal_page_ranks_the_units_for_supervisors_only(app, district):  # noqa: F811
    ctx, _ = district
    with ctx.db.session() as session:
        year = max(statistics.years(session))
    html = signed_in(app, "supervisor").get("/appraisal", query_string={"year": year}).get_data(as_text=True)
    assert html.count('data-rank="') == 12 and 'data-rank="1"' in html and 'id="weights"' in html
    assert signed_in(app, "water_clerk").get("/appraisal").status_code == 403
    assert signed_in(app, "liaison").get("/appraisal").status_code == 403


def test_reindex_rebuilds_the_rows_of_cases_saved_before_them(district):  # noqa: F811
    from sqlalchemy import delete

    from workflows import reindex
    from workflows.battlemap import CaseMilestone

    ctx, _ = district
    with ctx.db.session() as session:
        before = {r.case_id: r.document for r in session.scalars(select(CaseSearch))}
        milestones = {(r.case_id, r.seq, r.done) for r in session.scalars(select(CaseMilestone))}
        session.execute(delete(CaseSearch))
        session.execute(delete(CaseMilestone))
    assert find(ctx, "supervisor", q="区水务局") == []
    lines: list[str] = []
    assert reindex.reindex(ctx, progress=lines.append) == len(before) and lines[-1].endswith("cases indexed")
    with ctx.db.session() as session:
        assert {r.case_id: r.document for r in session.scalars(select(CaseSearch))} == before
        assert {(r.case_id, r.seq, r.done) for r in session.scalars(select(CaseMilestone))} == milestones
    assert find(ctx, "supervisor", q="区水务局")
