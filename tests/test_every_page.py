"""Every page of the demo district (tests/demo_pages.walk: sign-in, inbox, each open task kind's form, a case
page per case type and stage, supervision, statistics, appraisal, battle map, designer, new case,
notifications, settings, the portal and the error pages), in Chinese and in English: each one answers,
speaks only the reader's language outside the district's data (the rule is in tests/demo_pages.py) and
labels no value by a raw identifier."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from engine.store import User

from . import demo_pages
from .test_case_documents import district, signed_in  # noqa: F401 - the demo district, loaded once


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_page_of_the_demo_district_speaks_the_readers_language(district, language):  # noqa: F811
    ctx, app = district
    with ctx.db.session() as session:
        session.execute(update(User).values(language=language))
    data = demo_pages.data_texts(ctx)
    clients: dict[str | None, object] = {}
    foreign, raw, kinds = {}, {}, set()
    pages = demo_pages.walk(ctx)
    for who, path in pages:
        if who not in clients:
            clients[who] = signed_in(app, who) if who else app.test_client()
        answer = clients[who].get(path, headers={"Accept-Language": "en" if language == "en" else "zh-CN"})
        assert answer.status_code in (200, 403, 404, 302), (who, path, answer.status_code)
        if answer.status_code == 302:  # the portal sends a visitor to sign in
            continue
        page = answer.get_data(as_text=True)
        parts = path.strip("/").split("/")
        kinds.add("/".join(parts[:2]) if parts[0] == "portal" and len(parts) > 1 else parts[0])
        if wrong := demo_pages.wrong_language(page, data, language == "en"):
            foreign[f"{who} {path}"] = wrong
        if labels := demo_pages.raw_identifiers(page):
            raw[f"{who} {path}"] = labels
    assert not foreign, f"not in {language}: {foreign}"
    assert not raw, f"labels that are variable names: {raw}"
    assert len(pages) > 150 and {"sign-in", "inbox", "tasks", "cases", "supervise", "statistics", "designer",
                                 "notifications", "settings", "portal", "portal/tasks", "no-such-page"} <= kinds


def test_the_language_rule_catches_chrome_and_spares_data():
    data = ["关于路灯的建议", "区交通运输局"]
    english_page = ('<html lang="en"><h1>关于路灯的建议</h1><p>Handled by 区交通运输局</p><p>办理中</p>'
                    '<div data-content><p>我写的内容</p></div><button title="保存">Save</button></html>')
    assert demo_pages.wrong_language(english_page, data, english=True) == ["保存", "办理中"]
    chinese_page = ('<html lang="zh-CN"><h1>办理中</h1><p>Submit</p><p>导出 Excel（config.yaml）</p>'
                    '<details><p lang="en"><code>no case 9</code></p></details></html>')
    assert demo_pages.wrong_language(chinese_page, data, english=False) == ["Submit"]
    assert demo_pages.raw_identifiers("<dt>review_records</dt><th>答复</th><label>term</label>") == [
        "review_records", "term"]
