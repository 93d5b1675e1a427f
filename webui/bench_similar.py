"""`casework bench similar [--cases N]`: the similar-case hint (workflows.similar) — its quality on the demo
district and its latency at N cases (default 100,000), on SQLite and, when CASEWORK_DATABASE_URL names a
PostgreSQL server, on a throwaway database there too.

Quality: every demo suggestion and proposal, its title and body reworded the way a second proposer would
(the "关于…的建议" frame dropped, a character left out, a word put in, the body cut short and begun
differently), is looked for as the office sees it; top-1 counts how often the case itself comes first (a case
with the very same title first counts too: the demo's merged proposals share one). Measured on the demo alone
and again among the N cases.
Latency: N - demo synthetic cases (rows of cases, facts, participants and the search index, written straight
into the tables, their titles and bodies drawn from a district's words), then p50/p95 of the service call
as a deputy types (others' cases as public facts) and as the liaison office reviews, and of
GET /api/v1/cases/similar through the WSGI app. The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from engine import clock, migrate
from engine import config as config_module
from engine.bench import scale
from engine.context import EngineContext
from engine.store import Case, CaseParticipant, ProcessDefinition, User

from .bench import PASSWORD, _drop_postgres_database, _postgres_database, _seed

PLACES = ("社区 老旧小区 学校周边 农贸市场 背街小巷 城区 农村 河道 城市公园 街道 "
          "工业园区 商业街区 地铁站周边 医院周边 新建小区 城乡接合部 景区 主干道 "
          "菜市场 安置小区").split()
THINGS = ("停车设施 加装电梯 交通信号灯 供水管网 垃圾分类 养老服务 托育服务 健身设施 "
          "公共照明 食品安全 消防通道 充电桩 公交线路 医疗服务 文化设施 绿化管护 "
          "排水系统 噪声治理 物业管理 就业服务 无障碍设施 公共厕所 燃气管道 校园安全 "
          "外卖骑手权益 便民服务点").split()
VERBS = ("加强 完善 增设 改造 规范 推进 优化 提升 加快 解决 健全 整治").split()
SENTENCES = ("群众反映强烈，", "现有设施老化，", "管理责任不清，", "资金投入不足，", "部门之间协调不够，",
             "高峰时段矛盾突出，", "居民多次投诉，", "存在安全隐患，", "标准不统一，", "覆盖面不广，")
UNITS = ("unit_transport", "unit_housing", "unit_health", "unit_civil", "unit_environment", "unit_water",
         "unit_urban", "unit_market", "unit_culture", "unit_education", "unit_hrss", "unit_street_a")
BATCH = 5000


def perturb(title: str, body: str, rng: random.Random) -> tuple[str, str]:
    """The same matter as another proposer would write it."""
    core = title.removeprefix("关于").removesuffix("的建议").removesuffix("的提案")
    chars = list(core)
    if len(chars) > 6:
        del chars[rng.randrange(1, len(chars) - 1)]
    chars.insert(rng.randrange(0, len(chars) + 1), rng.choice(("进一步", "切实", "尽快")))
    rest = body[len(body) // 4: len(body) // 4 + 60]
    return "".join(chars), "据了解，" + rest


def reorder(title: str, body: str, rng: random.Random) -> tuple[str, str]:
    """Harder: the title alone, its two halves swapped, no body."""
    core = title.removeprefix("关于").removesuffix("的建议").removesuffix("的提案")
    half = len(core) // 2
    return core[half:] + core[:half], ""


def quality(ctx: EngineContext, upto: int, seed: int = 12, change: Any = perturb) -> dict[str, Any]:
    from workflows import similar
    from workflows.cases import CASE_TYPES

    rng = random.Random(seed)
    first = top3 = total = 0
    with ctx.db.session() as session:
        boss = session.scalar(select(User).where(User.username == "supervisor"))
        demo = session.execute(select(Case.id, Case.title, Case.data, Case.process_key)
                               .where(Case.process_key.in_(list(CASE_TYPES)), Case.id <= upto)
                               .order_by(Case.id)).all()
        for row in demo:
            title, body = change(row.title or "", str((row.data or {}).get("body") or ""), rng)
            found = similar.similar(session, boss, title, body, process_key=row.process_key, zone=ctx.zone,
                                    public=False)
            total += 1
            first += bool(found) and (found[0].case_id == row.id or found[0].title == row.title)
            top3 += any(c.case_id == row.id for c in found[:3])
    return {"cases": total, "top1": round(first / max(total, 1), 3), "top3": round(top3 / max(total, 1), 3)}


def synthetic(ctx: EngineContext, count: int, seed: int = 100) -> None:
    """`count` made-up cases of last year and this, written straight into the rows the hint reads."""
    rng = random.Random(seed)
    now = clock.now()
    with ctx.db.session() as session:
        definition = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "suggestion")
                                    .order_by(ProcessDefinition.version.desc()))
        start = (session.scalar(select(Case.id).order_by(Case.id.desc())) or 0) + 1
    from workflows.cases import CaseFacts
    from workflows.search import CaseSearch

    tables = {"case_facts": CaseFacts.__table__, "case_search": CaseSearch.__table__}
    sqlite = ctx.db.engine.dialect.name == "sqlite"
    triggers: list[str] = []
    if sqlite:  # one FTS5 rebuild after the load, not a trigger's insert per row (about 20 ms each at this size)
        with ctx.db.engine.begin() as conn:
            found = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                      "AND tbl_name = 'case_search'")).all()
            for name, _sql in found:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            triggers = [sql for _name, sql in found]
    for offset in range(0, count, BATCH):
        cases, facts, search, people = [], [], [], []
        for i in range(offset, min(offset + BATCH, count)):
            case_id = start + i
            year = now.year - rng.randrange(2)
            title = f"关于{rng.choice(VERBS)}{rng.choice(PLACES)}{rng.choice(THINGS)}的建议"
            body = "".join(rng.choice(SENTENCES) for _ in range(4)) + f"建议{rng.choice(VERBS)}{rng.choice(THINGS)}。"
            unit = rng.choice(UNITS)
            number = f"建议 {year}-{100000 + i:06d}"
            created = now - timedelta(days=rng.randrange(1, 600))
            cases.append({"id": case_id, "number": number, "definition_id": definition, "process_key": "suggestion",
                          "title": title, "status": "completed", "stage": "已办结", "data": {}, "lock_version": 1,
                          "started_by": "deputy_zhao", "created_at": created, "updated_at": created, "state": ""})
            facts.append({"case_id": case_id, "case_type": "suggestion", "year": year, "lead_unit": unit,
                          "assigned_at": created, "stage": "已办结", "closed": True, "updated_at": created})
            document = "\n".join((number, title, body, "deputy_zhao 赵代表", unit, "已办结", f"{year}年"))
            search.append({"case_id": case_id, "updated_at": created, "document": document})
            people += [{"case_id": case_id, "role": "assigning_office", "kind": "group", "name": "liaison_office"},
                       {"case_id": case_id, "role": "lead_unit", "kind": "group", "name": unit}]
        with ctx.db.session() as session:
            session.execute(insert(Case.__table__), cases)
            session.execute(insert(tables["case_facts"]), facts)
            session.execute(insert(tables["case_search"]), search)
            session.execute(insert(CaseParticipant.__table__), people)
            session.commit()
    if sqlite:
        with ctx.db.engine.begin() as conn:
            conn.execute(text("INSERT INTO case_search_fts(case_search_fts) VALUES ('rebuild')"))
            for sql in triggers:
                conn.execute(text(sql))


def latency(ctx: EngineContext, repeat: int, seed: int = 7) -> dict[str, Any]:
    from workflows import similar

    from .app import create_app

    rng = random.Random(seed)
    texts = [(f"{rng.choice(VERBS)}{rng.choice(PLACES)}{rng.choice(THINGS)}", rng.choice(SENTENCES) * 2)
             for _ in range(repeat + 3)]
    figures: dict[str, Any] = {}
    with ctx.db.session() as session:
        for who, key in (("deputy_zhao", "as_deputy_typing"), ("liaison", "as_office_at_review")):
            user = session.scalar(select(User).where(User.username == who))
            queue = iter(texts)
            figures[key] = scale.timed(lambda u=user, q=queue: similar.similar(
                session, u, *next(q), process_key="suggestion", zone=ctx.zone), repeat, warm=2)
            session.rollback()
    app = create_app(ctx=ctx)
    app.config.update(TESTING=True)
    client = app.test_client()
    answer = client.post("/api/v1/auth/token", json={"username": "deputy_zhao", "password": PASSWORD})
    token = answer.get_json()["token"]
    queue = iter(texts)

    def call() -> None:
        title, body = next(queue)
        answer = client.get("/api/v1/cases/similar", query_string={"title": title, "body": body},
                            headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 200:
            raise RuntimeError(f"GET /api/v1/cases/similar: {answer.status_code}")
    figures["api_as_deputy"] = scale.timed(call, repeat, warm=2)
    return figures


def one(config: Any, url: str, cases: int, repeat: int, progress: Any) -> dict[str, Any]:
    import workflows

    ctx = EngineContext.create(config.replace(database__url=url))
    workflows.install(ctx)
    try:
        migrate.upgrade(ctx.db)
        progress(f"{ctx.db.engine.dialect.name}: playing the demo district")
        _seed(ctx, "demo")
        with ctx.db.session() as session:
            upto = session.scalar(select(Case.id).order_by(Case.id.desc())) or 0
        result: dict[str, Any] = {"database": ctx.db.engine.dialect.name, "quality_demo": quality(ctx, upto),
                                  "quality_demo_title_reordered": quality(ctx, upto, change=reorder)}
        seeded = scale.count_cases(ctx.db)
        started = time.perf_counter()
        synthetic(ctx, max(cases - seeded, 0))
        after_load = getattr(ctx.db, "after_bulk_load", None)
        if after_load:
            after_load()
        result["synthetic_seconds"] = round(time.perf_counter() - started, 1)
        result["cases"] = scale.count_cases(ctx.db)
        progress(f"{ctx.db.engine.dialect.name}: {result['cases']} cases; timing")
        result["quality_among_all"] = quality(ctx, upto)
        result["quality_among_all_title_reordered"] = quality(ctx, upto, change=reorder)
        result.update(latency(ctx, repeat))
        return result
    finally:
        ctx.db.dispose()


def run(cases: int = 100_000, repeat: int = 50, progress: Any = print) -> int:
    config = config_module.load()
    admin_url = config["database.url"]
    results = []
    with tempfile.TemporaryDirectory(prefix="casework-similar-") as folder:
        results.append(one(config, f"sqlite:///{Path(folder) / 'similar.db'}", cases, repeat, progress))
    if admin_url.startswith("postgresql"):
        url = _postgres_database(admin_url)
        try:
            results.append(one(config, url, cases, repeat, progress))
        finally:
            _drop_postgres_database(admin_url, url)
    for r in results:
        progress(f"{r['database']:10} {r['cases']} cases: deputy typing p50 {r['as_deputy_typing']['p50_ms']} ms "
                 f"p95 {r['as_deputy_typing']['p95_ms']} ms; office p50 {r['as_office_at_review']['p50_ms']} ms; "
                 f"top-1 {r['quality_demo']['top1']} on the demo, {r['quality_among_all']['top1']} among all")
    print(json.dumps({"benchmark": "similar", "cases": cases, "repeat": repeat,
                      "load_average": round(os.getloadavg()[0], 2), "results": results}, ensure_ascii=False))
    return 0
