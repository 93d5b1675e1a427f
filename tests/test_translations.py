"""Chinese first: every text of the web UI has its zh_CN translation, and the compiled catalogue is current."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "webui" / "translations" / "zh" / "LC_MESSAGES"


def _extracted() -> set[str]:
    method_map = [("webui/**.py", "python"), ("webui/templates/**.html", "jinja2"),
                  ("webui/portal/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else message[0])
    return {m for m in found if m}


def test_every_text_of_the_web_ui_is_translated_to_chinese():
    with open(CATALOG / "messages.po", "rb") as po:
        catalog = read_po(po, locale="zh_CN")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string
                  and not m.fuzzy}
    missing = sorted(_extracted() - translated)
    assert not missing, f"{len(missing)} texts lack a zh_CN translation (run `make translations`): {missing[:20]}"


def _pairs(messages) -> dict:
    """id -> translation, plural forms as tuples so both catalogues compare alike."""
    flat = {}
    for m in messages:
        if m.id and m.string and not m.fuzzy:
            key = m.id if isinstance(m.id, str) else tuple(m.id)
            flat[key] = m.string if isinstance(m.string, str) else tuple(m.string)
    return flat


def test_the_compiled_catalogue_matches_the_source():
    with open(CATALOG / "messages.po", "rb") as po:
        source = _pairs(read_po(po, locale="zh_CN"))
    compiled = _pairs(read_mo(BytesIO((CATALOG / "messages.mo").read_bytes())))
    assert compiled == source, "messages.mo is out of date: run `make translations`"
