"""The demo district's people: its offices, twelve handling units with a clerk and a head each, leaders,
deputies and members (read by the demo loader, the demo plans and the tests)."""

from __future__ import annotations

DEMO_PASSWORD = "demo1234"

# unit group -> (name, short name used in user names, clerk's name, head's name)
UNITS: dict[str, tuple[str, str, str, str]] = {
    "unit_education": ("区教育局", "edu", "张办理员", "陈局长"),
    "unit_transport": ("区交通运输局", "transport", "刘办理员", "黄局长"),
    "unit_housing": ("区住房和城乡建设局", "housing", "杨办理员", "林局长"),
    "unit_health": ("区卫生健康委", "health", "何办理员", "高主任"),
    "unit_civil": ("区民政局", "civil", "郭办理员", "马局长"),
    "unit_environment": ("区生态环境分局", "env", "罗办理员", "梁局长"),
    "unit_market": ("区市场监管局", "market", "宋办理员", "谢局长"),
    "unit_water": ("区水务局", "water", "韩办理员", "唐局长"),
    "unit_culture": ("区文化和旅游局", "culture", "冯办理员", "于局长"),
    "unit_hrss": ("区人力资源和社会保障局", "hrss", "董办理员", "萧局长"),
    "unit_street_a": ("某街道办事处", "street", "程办理员", "曹主任"),
    "unit_urban": ("区城市管理局", "urban", "袁办理员", "邓局长"),
}

OFFICES: dict[str, str] = {
    "admins": "系统管理员", "designers": "流程设计员", "supervisors": "督查人员",
    "liaison_office": "人大代表联络室", "proposal_committee": "政协提案委员会",
    "proposal_directors": "提案委员会主任会议", "supervision_office": "政府督查室",
    "congress_leaders": "人大领导", "government_leaders": "政府领导", "cppcc_leaders": "政协领导",
    "deputies": "人大代表", "members": "政协委员",
}

DEPUTIES = {"deputy_zhao": "赵代表", "deputy_qian": "钱代表", "deputy_sun": "孙代表", "deputy_li": "李代表",
            "deputy_zhou": "周代表"}
MEMBERS = {"member_wu": "吴委员", "member_zheng": "郑委员", "member_wang": "王委员", "member_feng": "冯委员"}

# (user name, display name, groups): the offices first, then each unit's clerk and head
DEMO_USERS: list[tuple[str, str, list[str]]] = [
    ("admin", "系统管理员", ["admins"]),
    ("designer", "流程设计员", ["designers"]),
    ("supervisor", "政府督查室 王督查", ["supervision_office", "supervisors"]),
    ("liaison", "人大联络室 李干事", ["liaison_office"]),
    ("committee", "政协提案委 周干事", ["proposal_committee"]),
    ("director", "提案委员会 吴主任", ["proposal_directors", "proposal_committee"]),
    ("congress_leader", "区人大常委会 孙副主任", ["congress_leaders"]),
    ("gov_leader", "区政府 钱副区长", ["government_leaders"]),
    ("cppcc_leader", "区政协 郑副主席", ["cppcc_leaders"]),
    *[(name, display, ["deputies"]) for name, display in DEPUTIES.items()],
    *[(name, display, ["members"]) for name, display in MEMBERS.items()],
]
for _unit, (_name, _short, _clerk, _head) in UNITS.items():
    DEMO_USERS.append((f"{_short}_clerk", f"{_name} {_clerk}", [_unit]))
    DEMO_USERS.append((f"{_short}_head", f"{_name} {_head}", [_unit, f"{_unit}_head"]))
