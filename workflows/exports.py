"""Excel (openpyxl) and CSV files of the case list, the statistics and the year's 办理情况汇总表.

Headers are Chinese, the header rows frozen, dates written as dates and figures as numbers (rates as
fractions shown as percentages), so that a clerk can sort, sum and chart them in Excel. The figures
come from workflows.statistics (its public `report`), never counted again here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.errors import BadRequest, Forbidden
from engine.identity import is_supervisor
from engine.store import Case, User

from . import caselist
from .cases import CASE_TYPES, CaseFacts

if TYPE_CHECKING:
    from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
RATINGS_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意",
              "not_evaluated": "未测评"}
STATUS_ZH = {"running": "办理中", "completed": "已办结", "cancelled": "已撤销", "error": "出错停止"}
HEAD_FILL = "DDE7F3"

CASE_COLUMNS = ("编号", "类型", "案由", "届次", "年度", "类别", "领衔人", "主办单位", "阶段", "状态", "交办日期",
                "答复期限", "答复日期", "答复分类", "面复", "工作满意度", "结果满意度", "二次办理轮次", "挂牌督办")
RATE_COLUMNS = (("reply_rate", "办复率"), ("on_time_rate", "按期办复率"), ("face_reply_rate", "面复率"),
                ("satisfaction_work", "工作满意率"), ("satisfaction_result", "结果满意率"),
                ("implementation_rate", "落实率"))
STATISTICS_COLUMNS = ("承办单位", "交办件数", "已答复", *(label for _k, label in RATE_COLUMNS), "A类", "B类", "C类",
                      "D类", "二次办理")
SUMMARY_COLUMNS = ("承办单位", "主办件数", "已答复", "应答复", "按期答复", "面复件数", "面复任务", "已面复(任务内)",
                   "测评件数", "工作满意(含基本满意)", "结果满意(含基本满意)", "承诺落实(A、B类建议)", "已落实",
                   "A类", "B类", "C类", "D类", "二次办理", "办复率", "按期办复率", "满意率", "落实率")


def local_date(value: datetime | date | None, zone: ZoneInfo) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(zone).date()
    return value


def case_rows(rows: Iterable[tuple[Case, CaseFacts | None]], zone: ZoneInfo,
              unit_names: dict[str, str], people: dict[str, str]) -> list[list[Any]]:
    """One list of values per case, in CASE_COLUMNS order (dates as dates, counts as numbers)."""
    out = []
    for case, f in rows:
        kind = CASE_TYPES.get(case.process_key)
        proposer = (f.proposer if f else None) or case.started_by
        out.append([
            case.number, kind.name if kind else case.process_key, case.title, f.session_label if f else None,
            f.year if f else None, f.category if f else None, people.get(proposer, proposer) if proposer else None,
            unit_names.get(f.lead_unit, f.lead_unit) if f and f.lead_unit else None, case.stage or None,
            STATUS_ZH.get(case.status, case.status), local_date(f.assigned_at, zone) if f else None,
            f.reply_due if f else None, local_date(f.replied_at, zone) if f else None,
            f.result_class if f else None, ("是" if f.face_reply else "否") if f and f.replied_at else None,
            RATINGS_ZH.get(f.satisfaction_work) if f else None, RATINGS_ZH.get(f.satisfaction_result) if f else None,
            f.rehandling_rounds if f else 0, "是" if case.flagged else "否"])
    return out


def _sheet(book: Workbook, title: str, heading: str, columns: tuple[str, ...], rows: list[list[Any]],
           percent: set[int] = frozenset()) -> None:
    """A sheet with a title line, one frozen header row, and the rows; columns numbered from 0."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    sheet.append([heading])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(columns))
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor=HEAD_FILL)
    for cell in sheet[2]:
        cell.font, cell.fill = head_font, head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=3):
        for index, cell in enumerate(row):
            if isinstance(cell.value, (date, datetime)):
                cell.number_format = DATE
            elif index in percent and cell.value is not None:
                cell.number_format = PERCENT
    sheet.freeze_panes = "B3"  # the title and header rows, and the first column, stay in view
    for index, name in enumerate(columns, start=1):
        longest = max([len(str(name))] + [len(str(r[index - 1])) for r in rows[:200] if r[index - 1] is not None])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest * 2 + 2))


def _book() -> Workbook:
    # openpyxl (some 180 modules, about 5 MiB of a process) is imported by the first export, not by every worker
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)  # each sheet is made by _sheet
    return book


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def case_list_xlsx(rows: list[list[Any]], heading: str) -> bytes:
    book = _book()
    _sheet(book, "案件清单", heading, CASE_COLUMNS, rows)
    return _bytes(book)


def case_list_csv(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read Chinese from a CSV file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CASE_COLUMNS)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _rates(figures: dict[str, Any]) -> list[float | None]:
    values = {"satisfaction_work": figures["satisfaction_rate"]["work"],
              "satisfaction_result": figures["satisfaction_rate"]["result"]}
    return [values.get(key, figures.get(key)) for key, _label in RATE_COLUMNS]


def statistics_rows(report: dict[str, Any]) -> list[list[Any]]:
    def row(name: str, f: dict[str, Any]) -> list[Any]:
        c = f["counts"]
        return [name, c["assigned"], c["replied"], *_rates(f), *(c["classes"][k] for k in "ABCD"), f["rehandled"]]

    return [row("全部单位", report["overall"]), *(row(f["unit_name"], f) for f in report["units"])]


def summary_rows(report: dict[str, Any]) -> list[list[Any]]:
    def row(name: str, f: dict[str, Any], quota: dict[str, Any] | None) -> list[Any]:
        c = f["counts"]
        return [name, c["assigned"], c["replied"], c["due"], c["on_time"], c["face_replies"],
                quota["required"] if quota else None, quota["done"] if quota else None, c["evaluated_work"],
                c["satisfied_work"], c["satisfied_result"], c["promised"], c["implemented"],
                *(c["classes"][k] for k in "ABCD"), f["rehandled"], f["reply_rate"], f["on_time_rate"],
                f["satisfaction_rate"]["work"], f["implementation_rate"]]

    return [*(row(f["unit_name"], f, f.get("face_reply_quota")) for f in report["units"]),
            row("合计", report["overall"], None)]


RESULT_COLUMNS = ("承办单位", "有成果的件数", "成果项数", "政策文件", "项目", "资金项数", "资金合计（万元）")


def results_rows(report: dict[str, Any]) -> list[list[Any]]:
    """成果转化 per lead unit and in all (workflows.results via the report)."""
    def row(name: str, r: dict[str, Any]) -> list[Any]:
        return [name, r["cases"], r["items"], r["policy"], r["project"], r["funds"], r["funds_amount"]]

    return [*(row(f["unit_name"], f["results"]) for f in report["units"]), row("合计", report["overall"]["results"])]


def _type_label(case_type: str | None) -> str:
    return CASE_TYPES[case_type].name if case_type in CASE_TYPES else "建议和提案"


def statistics_xlsx(report: dict[str, Any], district: str) -> bytes:
    """The statistics page as a workbook: the rates sheet, then the 办理情况汇总表."""
    book = _book()
    label = _type_label(report.get("case_type"))
    first_rate = 3
    _sheet(book, "统计", f"{district}{report['year']}年度{label}办理统计", STATISTICS_COLUMNS,
           statistics_rows(report), set(range(first_rate, first_rate + len(RATE_COLUMNS))))
    _summary_sheet(book, report, district)
    _sheet(book, "成果转化", f"{district}{report['year']}年度{label}成果转化", RESULT_COLUMNS, results_rows(report))
    return _bytes(book)


def _summary_sheet(book: Workbook, report: dict[str, Any], district: str) -> None:
    label = _type_label(report.get("case_type"))
    rates = len(SUMMARY_COLUMNS) - 4
    _sheet(book, "办理情况汇总表", f"{district}{report['year']}年度{label}办理情况汇总表", SUMMARY_COLUMNS,
           summary_rows(report), set(range(rates, rates + 4)))


def summary_xlsx(report: dict[str, Any], district: str) -> bytes:
    book = _book()
    _summary_sheet(book, report, district)
    return _bytes(book)


def statistics_csv(report: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STATISTICS_COLUMNS)
    for row in statistics_rows(report):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# -- who may export -------------------------------------------------------------------------

def may_export_case_list(user: Any, config: Any) -> bool:
    """Supervisors, and the groups named in exports.case_list_groups (the assigning offices by default);
    each gets only the cases they may see. A proposer or a unit's clerk reads the list on the page."""
    allowed = {g.strip() for g in config["exports.case_list_groups"].split(",") if g.strip()}
    return is_supervisor(user) or bool(allowed & set(user.group_names))


def check_may_export_case_list(user: Any, config: Any) -> None:
    if not may_export_case_list(user, config):
        raise Forbidden("only supervisors and the assigning offices may export the case list")


def check_may_export_statistics(user: Any) -> None:
    if not is_supervisor(user):
        raise Forbidden("only supervisors may export the statistics")


# -- the files, as the pages and the API hand them out ------------------------------------------

EXPORT_LIMIT = 20000  # a district has a few hundred cases a year; a province a few thousand


def case_list_file(session: Any, user: Any, config: Any, filters: Any, fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """(content, MIME type, file name) of the case list the filters select, as the user may see it."""
    check_may_export_case_list(user, config)
    if fmt not in ("xlsx", "csv"):
        raise BadRequest("format must be xlsx or csv")
    found = caselist.find(session, user, filters, limit=EXPORT_LIMIT)
    zone = ZoneInfo(config["timezone"])
    units = caselist.unit_names(session, [f.lead_unit for _c, f in found if f is not None and f.lead_unit])
    people_names = sorted({(f.proposer if f else None) or c.started_by for c, f in found} - {None})
    people = {n: d or n for n, d in session.execute(select(User.username, User.display_name)
                                                    .where(User.username.in_(people_names))).all()}
    rows = case_rows(found, zone, units, people)
    name = f"cases-{filters.year or 'all'}"
    if fmt == "csv":
        return case_list_csv(rows), "text/csv; charset=utf-8", f"{name}.csv"
    heading = f"{config['district.name']}案件清单" + (f"（{filters.year}年）" if filters.year else "")
    return case_list_xlsx(rows, heading), XLSX_TYPE, f"{name}.xlsx"


def statistics_file(report: dict[str, Any], user: Any, config: Any, fmt: str = "xlsx",
                    summary_only: bool = False) -> tuple[bytes, str, str]:
    check_may_export_statistics(user)
    name = f"statistics-{report['year']}" + (f"-{report['case_type']}" if report.get("case_type") else "")
    if fmt == "csv":
        return statistics_csv(report), "text/csv; charset=utf-8", f"{name}.csv"
    if fmt != "xlsx":
        raise BadRequest("format must be xlsx or csv")
    if summary_only:
        return summary_xlsx(report, config["district.name"]), XLSX_TYPE, f"summary-{report['year']}.xlsx"
    return statistics_xlsx(report, config["district.name"]), XLSX_TYPE, f"{name}.xlsx"
