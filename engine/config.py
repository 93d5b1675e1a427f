"""Configuration: one schema, defaults in `config.yaml`, `CASEWORK_*` environment variables override.

Every setting is declared once in SETTINGS (type, default, what is allowed). `config.yaml` at the
repository root lists the same keys with the same defaults (a test keeps the two in step).
An environment variable is the dotted key upper-cased with dots as underscores:
`database.url` -> `CASEWORK_DATABASE_URL`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml


class ConfigError(Exception):
    """A setting has a value that is not allowed; the message names the key and what is allowed."""


@dataclass(frozen=True)
class Setting:
    key: str
    kind: type
    default: Any
    allowed: str  # what is allowed, in words, for the error message
    check: Callable[[Any], bool] = lambda v: True


def _positive(v: Any) -> bool:
    return v > 0


def _zone(v: str) -> bool:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _working_day_offsets(v: list) -> bool:
    return all(isinstance(x, int) and x > 0 for x in v)


def _calendar_years(v: dict) -> bool:
    """{2027: {"holidays": [dates], "workdays": [dates]}}: dates as YAML dates or YYYY-MM-DD text."""
    for year, entry in v.items():
        if not str(year).isdigit() or not isinstance(entry, dict) or set(entry) - {"holidays", "workdays"}:
            return False
        for days in entry.values():
            if not isinstance(days, list):
                return False
            for day in days:
                try:
                    date.fromisoformat(str(day))
                except ValueError:
                    return False
    return True


def _appraisal_weights(v: dict) -> bool:
    allowed = {"on_time", "face_reply", "satisfaction", "implementation", "rehandling"}
    return bool(v) and set(v) <= allowed and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0
                                                 for x in v.values()) and sum(v.values()) > 0


# working days each person's task may take (config.yaml explains them); `default` for a task not listed
SUGGESTION_TASK_DAYS = {"default": 10, "confirm_cosign": 5, "pre_review": 10, "revise": 10, "assign": 10,
    "arbitrate": 10, "review_reply": 10, "disclose": 10, "take_charge": 5, "interview_head": 10, "review_rehandled": 10,
    "joint_supervision": 20, "plan_checklist": 10, "list_in_plan": 10, "acceptance": 10,
    "confirm_implementation": 15}
PROPOSAL_TASK_DAYS = {"default": 10, "submit_proposal": 10, "confirm_cosign": 5, "verify_collective": 5,
    "initial_review": 10, "re_review": 15, "joint_review": 5, "review_decision": 10,
    "directors_second_look": 10, "notify_rejection": 10, "forward_rejected": 10, "assign_proposal": 10,
    "choose_key_proposal": 10, "arbitrate": 10, "review_reply": 10, "disclose": 10, "take_charge": 5,
    "interview_head": 10, "review_rehandled": 10, "joint_supervision": 20, "record_results": 20}


def _sessions(v: dict) -> bool:
    """{current: label, known: [{term, session, label}, ...]}, the current one among the known."""
    entries = v.get("known")
    if not isinstance(entries, list) or not entries:
        return False
    ok = all(isinstance(e, dict) and isinstance(e.get("term"), int) and isinstance(e.get("session"), int)
             and isinstance(e.get("label"), str) and e["label"].strip() for e in entries)
    return ok and v.get("current") in {e["label"] for e in entries}


SUGGESTION_SESSIONS = {"current": "十八届人大三次会议", "known": [
    {"term": 18, "session": 2, "label": "十八届人大二次会议"},
    {"term": 18, "session": 3, "label": "十八届人大三次会议"},
    {"term": 18, "session": 4, "label": "十八届人大四次会议"}]}
PROPOSAL_SESSIONS = {"current": "区政协十届三次会议", "known": [
    {"term": 10, "session": 2, "label": "区政协十届二次会议"},
    {"term": 10, "session": 3, "label": "区政协十届三次会议"},
    {"term": 10, "session": 4, "label": "区政协十届四次会议"}]}
SESSIONS_ALLOWED = "{current: label, known: [{term: N, session: N, label: text}, ...]} with current among the known"


def _task_days(v: dict) -> bool:
    return all(isinstance(k, str) and isinstance(d, int) and not isinstance(d, bool) and d > 0 for k, d in v.items())


def _db_url(v: str) -> bool:
    return v.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://"))


SETTINGS: tuple[Setting, ...] = (
    Setting("database.url", str, "sqlite:///var/casework.db",
            "an SQLAlchemy URL starting with sqlite:// or postgresql+psycopg://", _db_url),
    Setting("database.echo", bool, False, "true or false"),
    Setting("server.host", str, "127.0.0.1", "a host name or address"),
    Setting("server.port", int, 5000, "a port number 1-65535", lambda v: 0 < v < 65536),
    Setting("server.threads", int, 8, "a positive whole number", _positive),
    Setting("server.secret_key", str, "dev-only-change-me",
            "a long random string (sessions are signed with it)", lambda v: len(v) >= 8),
    Setting("timezone", str, "Asia/Shanghai", "an IANA time zone name such as Asia/Shanghai", _zone),
    Setting("auth.token_ttl_hours", int, 12, "a positive whole number of hours", _positive),
    Setting("auth.web_session_days", int, 14, "a positive whole number of days", _positive),
    Setting("engine.script_line_budget", int, 100_000, "a positive whole number of lines", _positive),
    Setting("engine.expression_line_budget", int, 10_000, "a positive whole number of lines", _positive),
    Setting("scheduler.enabled", bool, True, "true or false"),
    Setting("scheduler.interval_seconds", float, 1.0, "a positive number of seconds", _positive),
    Setting("scheduler.batch_size", int, 100, "a positive whole number", _positive),
    Setting("uploads.max_bpmn_bytes", int, 5 * 1024 * 1024, "a positive number of bytes", _positive),
    Setting("uploads.attachments_dir", str, "var/attachments", "a folder path (created if missing)", lambda v: bool(v)),
    Setting("uploads.max_attachment_bytes", int, 20 * 1024 * 1024, "a positive number of bytes", _positive),
    Setting("uploads.attachment_types", str, "pdf,doc,docx,xls,xlsx,ofd,jpg,jpeg,png,txt",
            "a comma-separated list of file extensions", lambda v: all(x.strip().isalnum() for x in v.split(","))),
    Setting("auth.max_failed_sign_ins", int, 5, "a positive whole number", _positive),
    Setting("auth.sign_in_lockout_minutes", int, 15, "a positive whole number of minutes", _positive),
    Setting("auth.max_sign_in_delay_seconds", float, 30.0, "a positive number of seconds", _positive),
    Setting("auth.max_failed_sign_ins_per_address", int, 20, "a positive whole number", _positive),
    Setting("server.instance_dir", str, "var", "a folder path (the generated secret key is kept there)",
            lambda v: bool(v)),
    Setting("supervise.due_soon_days", int, 3, "a positive whole number of days", _positive),
    Setting("api.default_limit", int, 100, "a whole number from 1 to 1000", lambda v: 1 <= v <= 1000),
    Setting("api.max_limit", int, 1000, "a whole number from 1 to 10000", lambda v: 1 <= v <= 10000),
    Setting("scheduler.lease_seconds", float, 15.0,
            "a positive number of seconds (a standby scheduler takes over this long after the first one dies)",
            _positive),
    Setting("calendar.years", dict, {},
            "a mapping of year to {holidays: [YYYY-MM-DD, ...], workdays: [YYYY-MM-DD, ...]}", _calendar_years),
    Setting("deadlines.reminder_working_days", list, [15, 5],
            "a list of positive whole numbers of working days before a due time", _working_day_offsets),
    Setting("mail.enabled", bool, False, "true or false"),
    Setting("mail.host", str, "localhost", "a host name or address"),
    Setting("mail.port", int, 25, "a port number 1-65535", lambda v: 0 < v < 65536),
    Setting("mail.security", str, "none", "one of none, starttls, ssl", lambda v: v in ("none", "starttls", "ssl")),
    Setting("mail.username", str, "", "a user name, or empty for none"),
    Setting("mail.password", str, "", "a password, or empty for none"),
    Setting("mail.sender", str, "casework@localhost", "an e-mail address", lambda v: "@" in v),
    Setting("mail.timeout_seconds", float, 10.0, "a positive number of seconds", _positive),
    Setting("sms.enabled", bool, False, "true or false"),
    Setting("sms.gateway", str, "log", "one of log, http", lambda v: v in ("log", "http")),
    Setting("sms.url", str, "", "the gateway's https:// or http:// address, or empty",
            lambda v: v == "" or v.startswith(("http://", "https://"))),
    Setting("sms.token", str, "", "the gateway's access token, or empty"),
    Setting("sms.sender", str, "", "the sender name or number the gateway shows, or empty"),
    Setting("sms.max_chars", int, 140, "a number of characters from 20 to 1000", lambda v: 20 <= v <= 1000),
    Setting("sms.timeout_seconds", float, 10.0, "a positive number of seconds", _positive),
    Setting("outbox.max_attempts", int, 12, "a positive whole number", _positive),
    Setting("outbox.retry_seconds", float, 30.0,
            "a positive number of seconds (the first retry; each next one waits twice as long)", _positive),
    Setting("suggestion.sign_in_working_days", int, 5, "a positive whole number of working days", _positive),
    Setting("suggestion.reply_months", int, 3, "a positive whole number of months", _positive),
    Setting("suggestion.max_reply_months", int, 6, "a positive whole number of months (with an extension)", _positive),
    Setting("suggestion.assist_opinion_months", int, 1, "a positive whole number of months", _positive),
    Setting("suggestion.evaluation_working_days", int, 20, "a positive whole number of working days", _positive),
    Setting("suggestion.rehandling_months", int, 1, "a positive whole number of months", _positive),
    Setting("suggestion.max_rehandling_rounds", int, 2, "a positive whole number", _positive),
    Setting("suggestion.face_reply_quota", int, 3, "a positive whole number of suggestions per unit and session",
            _positive),
    Setting("proposal.sign_in_working_days", int, 5, "a positive whole number of working days", _positive),
    Setting("proposal.consult_working_days", int, 15, "a positive whole number of working days", _positive),
    Setting("proposal.reply_months", int, 3, "a positive whole number of months", _positive),
    Setting("proposal.evaluation_working_days", int, 15, "a positive whole number of working days", _positive),
    Setting("proposal.rehandling_months", int, 1, "a positive whole number of months", _positive),
    Setting("proposal.max_rehandling_rounds", int, 2, "a positive whole number", _positive),
    Setting("district.name", str, "示范区", "the district's name, printed at the head of letters and reports",
            lambda v: bool(v.strip())),
    Setting("district.congress_office", str, "示范区人大常委会代表联络室",
            "the name of the office that assigns suggestions (printed on their letters)", lambda v: bool(v.strip())),
    Setting("district.cppcc_office", str, "政协示范区委员会提案委员会",
            "the name of the office that assigns proposals (printed on their letters)", lambda v: bool(v.strip())),
    Setting("exports.case_list_groups", str, "liaison_office,proposal_committee",
            "a comma-separated list of group names (supervisors may always export)",
            lambda v: all(x.strip() for x in v.split(",")) if v.strip() else True),
    Setting("appraisal.weights", dict, {"on_time": 25, "face_reply": 20, "satisfaction": 30, "implementation": 15,
                                        "rehandling": 10},
            "a mapping of on_time, face_reply, satisfaction, implementation, rehandling to points (numbers >= 0)",
            _appraisal_weights),
    Setting("suggestion.task_working_days", dict, SUGGESTION_TASK_DAYS,
            "a mapping of task id (or default) to a positive whole number of working days", _task_days),
    Setting("suggestion.max_contest_rounds", int, 2, "a positive whole number", _positive),
    Setting("suggestion.merged_wait_months", int, 7, "a positive whole number of months", _positive),
    Setting("proposal.task_working_days", dict, PROPOSAL_TASK_DAYS,
            "a mapping of task id (or default) to a positive whole number of working days", _task_days),
    Setting("suggestion.sessions", dict, SUGGESTION_SESSIONS, SESSIONS_ALLOWED, _sessions),
    Setting("proposal.sessions", dict, PROPOSAL_SESSIONS, SESSIONS_ALLOWED, _sessions),
    Setting("proposal.merged_wait_months", int, 7, "a positive whole number of months", _positive),
    Setting("proposal.max_contest_rounds", int, 2, "a positive whole number", _positive),
    Setting("proposal.max_return_rounds", int, 2, "a positive whole number", _positive),
    Setting("unit_handling.max_countersign_rounds", int, 2, "a positive whole number", _positive),
    Setting("logging.level", str, "INFO", "one of DEBUG, INFO, WARNING, ERROR",
            lambda v: v in ("DEBUG", "INFO", "WARNING", "ERROR")),
)
_BY_KEY = {s.key: s for s in SETTINGS}

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _coerce(setting: Setting, raw: Any, source: str) -> Any:
    def fail() -> ConfigError:
        return ConfigError(f"config key '{setting.key}' ({source}) is {raw!r}; allowed: {setting.allowed}")

    value = raw
    if setting.kind is bool:
        if isinstance(raw, str):
            if raw.strip().lower() in _TRUE:
                value = True
            elif raw.strip().lower() in _FALSE:
                value = False
            else:
                raise fail()
        elif not isinstance(raw, bool):
            raise fail()
    elif setting.kind in (int, float):
        if isinstance(raw, bool):
            raise fail()
        try:
            value = setting.kind(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError):
            raise fail() from None
        if setting.kind is int and isinstance(raw, float) and raw != int(raw):
            raise fail()
    elif setting.kind is list:  # of whole numbers: a YAML list, or "15,5" in an environment variable
        if isinstance(raw, str):
            try:
                value = [int(x) for x in raw.split(",") if x.strip()]
            except ValueError:
                raise fail() from None
        elif not isinstance(raw, list) or any(isinstance(x, bool) for x in raw):
            raise fail()
    elif setting.kind is dict:  # a YAML mapping, or JSON text in an environment variable
        if isinstance(raw, str):
            try:
                value = json.loads(raw)
            except ValueError:
                raise fail() from None
        if not isinstance(value, dict):
            raise fail()
    elif setting.kind is str:
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            raise fail()
        value = str(raw)
    if not setting.check(value):
        raise fail()
    return value


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in _BY_KEY:
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


def env_name(key: str) -> str:
    return "CASEWORK_" + key.upper().replace(".", "_")


class Config:
    """Resolved settings; read with `config["database.url"]`."""

    def __init__(self, values: dict[str, Any], path: Path | None = None):
        self._values = values
        self.path = path

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def replace(self, **overrides: Any) -> Config:
        """A copy with some keys changed (use dotted keys with '__' for '.': database__url=...)."""
        values = dict(self._values)
        for name, raw in overrides.items():
            key = name.replace("__", ".")
            if key not in _BY_KEY:
                raise ConfigError(f"unknown config key '{key}'")
            values[key] = _coerce(_BY_KEY[key], raw, "override")
        return Config(values, self.path)


def default_path() -> Path | None:
    """CASEWORK_CONFIG, else ./config.yaml, else none (defaults only)."""
    explicit = os.environ.get("CASEWORK_CONFIG")
    if explicit:
        return Path(explicit)
    here = Path.cwd() / "config.yaml"
    return here if here.exists() else None


def load(path: Path | str | None = None, environ: dict[str, str] | None = None) -> Config:
    """Defaults, then the YAML file, then CASEWORK_* variables; stops with ConfigError on a bad value."""
    environ = os.environ if environ is None else environ
    path = Path(path) if path is not None else default_path()
    values = {s.key: s.default for s in SETTINGS}
    if path is not None:
        if not path.exists():
            raise ConfigError(f"config file {path} does not exist")
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"config file {path} is not valid YAML: {err}") from None
        if not isinstance(tree, dict):
            raise ConfigError(f"config file {path} must hold a mapping of settings")
        for key, raw in _flatten(tree).items():
            if key not in _BY_KEY:
                raise ConfigError(f"unknown config key '{key}' in {path}; known keys: {', '.join(_BY_KEY)}")
            values[key] = _coerce(_BY_KEY[key], raw, str(path))
    for setting in SETTINGS:
        name = env_name(setting.key)
        if name in environ:
            values[setting.key] = _coerce(setting, environ[name], name)
    return Config(values, path)


# -- the key that signs web sessions ------------------------------------------------------------

SHIPPED_SECRET_KEY = "dev-only-change-me"  # in config.yaml: everyone who has the code has it


def secret_key_file(config: Config) -> Path:
    return Path(config["server.instance_dir"]) / "secret_key"


def secret_key(config: Config) -> str:
    """The configured key; left at the shipped value, the one `casework init` generated, if there is one."""
    key = config["server.secret_key"]
    if key != SHIPPED_SECRET_KEY:
        return key
    try:
        generated = secret_key_file(config).read_text(encoding="utf-8").strip()
    except OSError:
        return key
    return generated if len(generated) >= 32 else key


def ensure_secret_key(config: Config) -> Path | None:
    """Generate a random key into the instance folder when none is configured; the file made, or None."""
    if config["server.secret_key"] != SHIPPED_SECRET_KEY or secret_key(config) != SHIPPED_SECRET_KEY:
        return None
    import secrets

    path = secret_key_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # readable by the owner only
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    return path
