"""The lint of a timer's text (timeDate, timeDuration, timeCycle): ISO 8601, ${JUEL} or a quoted Python
expression; as (code, params) for the pages, and in English for the CLI."""

from __future__ import annotations

import ast
import re
from datetime import datetime

from engine.bpmn.lintcodes import Finding, say
from engine.scripting.durations import timer_text_problem

DURATION = re.compile(r'P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?'
                      r'(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?', re.IGNORECASE)
JUEL = re.compile(r'\$\{[^{}]*\}|#\{[^{}]*\}')


def is_iso_duration(text):
    return bool(DURATION.fullmatch(text))


def is_iso_datetime(text):
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        return False


def is_iso_cycle(text):
    match = re.fullmatch(r'R(\d*)/(.+)', text, re.IGNORECASE)
    if not match:
        return False
    parts = match.group(2).split('/')
    durations = [is_iso_duration(p) for p in parts]
    dates = [is_iso_datetime(p) for p in parts]
    return (len(parts) == 1 and durations[0]) or (len(parts) == 2 and any(durations) and all(
        d or t for d, t in zip(durations, dates, strict=True)))


ISO_CHECKS = {'timeDuration': (is_iso_duration, 'an ISO 8601 duration such as PT72H or P3M'),
              'timeDate': (is_iso_datetime, 'an ISO 8601 date-time such as 2026-12-01T09:00:00+08:00'),
              'timeCycle': (is_iso_cycle, 'an ISO 8601 repetition such as R3/PT1H')}


def timer_problem(kind: str, text: str) -> str | None:
    """Why a timer expression is refused (in English), or None: ISO 8601, ${JUEL} or a quoted Python expression."""
    finding = timer_finding(kind, text)
    return say(*finding) if finding else None


def timer_finding(kind: str, text: str) -> Finding | None:
    """timer_problem as (code, params); the params name the kind, the text and the kind's English example."""
    check, example = ISO_CHECKS[kind]
    params = {'kind': kind, 'text': text, 'example': example}
    if not text:
        return 'timer_empty', params
    if check(text):
        detail = timer_text_problem(text)  # well-formed, but maybe a hundred billion years
        return ('timer_unusable', {**params, 'detail': detail}) if detail else None
    if JUEL.fullmatch(text):
        return None
    if '${' in text or '#{' in text:
        return 'timer_juel_malformed', params
    if kind == 'timeCycle' and len(text.split()) in (5, 6, 7):
        return 'timer_cron', params
    try:
        tree = ast.parse(text, mode='eval')
    except SyntaxError:
        return 'timer_not_expression', params
    # A bare name or number is what an unquoted, mistyped ISO value looks like to Python.
    if isinstance(tree.body, ast.Name):
        return 'timer_bare_name', params
    if not any(isinstance(n, (ast.Name, ast.Call, ast.Attribute)) or (
            isinstance(n, ast.Constant) and isinstance(n.value, str)) for n in ast.walk(tree)):
        return 'timer_not_iso', params  # numbers only, e.g. an unquoted 2026-13-45
    return None
