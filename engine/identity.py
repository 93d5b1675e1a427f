"""Users, groups and bearer tokens. Passwords are argon2 hashes; tokens are stored as sha256 only."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session, contains_eager

from engine import clock
from engine.errors import Conflict, Invalid, Unauthorized
from engine.store import ApiToken, Group, LoginFailure, User, UserGroup, WebSession

ADMINS, DESIGNERS, SUPERVISORS = "admins", "designers", "supervisors"

_hasher = PasswordHasher()
_NAME = re.compile(r"^[A-Za-z0-9_.\-@]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")  # enough to catch a slip; the mail server decides
# A hash to verify against when the user does not exist, so that timing does not reveal names.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def ensure_group(session: Session, name: str, display_name: str = "") -> Group:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        if not _NAME.match(name):
            raise Invalid(f"group name {name!r} may hold only letters, digits and _ . - @")
        group = Group(name=name, display_name=display_name or name)
        session.add(group)
        session.flush()
    elif display_name and group.display_name != display_name:
        group.display_name = display_name
    return group


# a mobile number as people write it: digits with an optional + and country code, spaces and dashes allowed
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")


def normalise_phone(value: str) -> str:
    """The number without spaces and dashes; Invalid when it does not look like a phone number."""
    value = (value or "").strip()
    if not _PHONE.match(value):
        raise Invalid(f"{value[:40]!r} is not a phone number (digits, an optional + and country code)",
                      [{"field": "phone", "message": "not a phone number"}])
    return re.sub(r"[ \-]", "", value)


def set_contact(user: User, email: str, phone: str, notify_email: bool, notify_sms: bool) -> None:
    """A person's own e-mail address and phone number, and the channels they keep on (their settings);
    Invalid with a detail per wrong field (address, number); nothing is changed then."""
    email, phone = (email or "").strip(), (phone or "").strip()
    details = []
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        details.append({"field": "email", "message": "not an e-mail address"})
    try:
        phone = normalise_phone(phone) if phone else ""
    except Invalid as err:
        details += err.details
    if details:
        raise Invalid("; ".join(f"{d['field']}: {d['message']}" for d in details), details)
    user.email, user.phone = email or None, phone or None
    user.notify_email, user.notify_sms = bool(notify_email), bool(notify_sms)


def add_user(session: Session, username: str, password: str, groups: list[str] | tuple[str, ...] = (),
             display_name: str = "", language: str = "zh_CN", email: str | None = None,
             phone: str | None = None) -> User:
    if not _NAME.match(username):
        raise Invalid(f"user name {username!r} may hold only letters, digits and _ . - @ (at most 64)")
    if len(password) < 6:
        raise Invalid("the password must have at least 6 characters")
    if email and not _EMAIL.match(email):
        raise Invalid(f"{email!r} is not an e-mail address")
    if get_user(session, username) is not None:
        raise Conflict(f"a user named {username!r} already exists")
    user = User(username=username, display_name=display_name or username, language=language,
                password_hash=hash_password(password), email=email or None,
                phone=normalise_phone(phone) if phone else None)
    user.groups = [ensure_group(session, g) for g in groups if g]
    session.add(user)
    session.flush()
    return user


def _failures(session: Session, column, value: str, since: datetime) -> tuple[int, datetime | None]:
    count, last = session.execute(select(func.count(), func.max(LoginFailure.at)).where(
        column == value, LoginFailure.at > since)).one()
    return count or 0, clock.as_utc(last)


def sign_in_delay(failures: int, allowed: int, cap_seconds: float) -> float:
    """Seconds to wait after the last failure: none up to `allowed` failures, then doubling to the cap."""
    if failures < allowed:
        return 0.0
    return min(float(2 ** min(failures - allowed, 16)), cap_seconds)


def authenticate(session: Session, username: str, password: str, address: str = "",
                 max_failures: int | None = None, window_minutes: int = 15, max_delay_seconds: float = 30.0,
                 max_address_failures: int | None = None) -> User:
    """The user, or Unauthorized. With `max_failures`, failed sign-ins slow the next attempt down instead
    of locking the name: past `max_failures` failures for one user name (or `max_address_failures` from one
    address, whatever the names) within the window, an attempt sooner than a delay after the last failure
    is refused with TooManyAttempts (the password is not even looked at). The delay doubles with each
    failure up to `max_delay_seconds`, so a guesser gets a handful of tries a minute while the real owner,
    who knows the password, gets in at the first attempt after the delay."""
    if max_failures is not None:
        now = clock.now()
        since = now - timedelta(minutes=window_minutes)
        waits = []
        for column, value, allowed in ((LoginFailure.username, username[:64], max_failures),
                                       (LoginFailure.address, address[:64], max_address_failures or 4 * max_failures)):
            if not value:
                continue
            count, last = _failures(session, column, value, since)
            delay = sign_in_delay(count, allowed, max_delay_seconds)
            if last is not None and delay and now < last + timedelta(seconds=delay):
                waits.append((last + timedelta(seconds=delay) - now).total_seconds())
        if waits:
            raise TooManyAttempts(f"too many failed sign-ins; try again in {max(1, round(max(waits)))} seconds",
                                  retry_after=max(1, round(max(waits))))
    user = get_user(session, username[:64])
    if not verify_password(user, password) or not user.active:
        if max_failures is not None:
            session.add(LoginFailure(username=username[:64], address=address[:64], at=clock.now()))
            session.commit()  # kept even though the request fails
        raise Unauthorized("wrong user name or password")
    if max_failures is not None:
        session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


class TooManyAttempts(Unauthorized):
    status, code = 429, "too_many_attempts"

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message, [{"retry_after_seconds": retry_after}])
        self.retry_after = retry_after


# -- browser sessions: a random id in the signed cookie, its hash in web_sessions --------------

def open_web_session(session: Session, user: User) -> str:
    """A new session id for the cookie; the row is what makes the cookie worth anything."""
    sid = secrets.token_urlsafe(32)
    session.add(WebSession(id_hash=_digest(sid), user_id=user.id, created_at=clock.now()))
    return sid


def web_session_user(session: Session, sid: str | None, user_id: int,
                     max_age: timedelta | None = None) -> User | None:
    """The active user of a live session id, or None (signed out, never issued, another user's, or
    older than `max_age`: a cookie kept for months must not stay a key to the service)."""
    if not sid or not isinstance(sid, str):
        return None
    row = session.get(WebSession, _digest(sid))
    if row is None or row.user_id != user_id:
        return None
    if max_age is not None and row.created_at < clock.now() - max_age:
        return None
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def prune_web_sessions(session: Session, max_age: timedelta) -> int:
    """Delete the sessions past their lifetime (the hourly sweep): a browser that never signed out leaves
    its row behind."""
    return session.execute(delete(WebSession).where(WebSession.created_at < clock.now() - max_age)
                           .execution_options(synchronize_session=False)).rowcount or 0


def close_web_session(session: Session, sid: str | None) -> None:
    if sid and isinstance(sid, str):
        session.execute(delete(WebSession).where(WebSession.id_hash == _digest(sid)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, ttl_hours: int) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + timedelta(hours=ttl_hours)
    session.add(ApiToken(token_hash=_digest(token), user_id=user.id, expires_at=expires_at))
    session.flush()
    return token, expires_at


# built once: the token's user and the user's groups in one statement (the ORM objects, on a cache miss)
_TOKEN_USER = (select(User, ApiToken.expires_at).join(ApiToken, ApiToken.user_id == User.id)
               .outerjoin(User.groups).options(contains_eager(User.groups))
               .where(ApiToken.token_hash == bindparam("digest")).order_by(Group.name))
# what every API call checks: the token, its user and the user's groups as plain rows (a Core statement
# costs a fraction of loading the ORM objects)
_T, _U, _UG, _G = ApiToken.__table__, User.__table__, UserGroup.__table__, Group.__table__
_TOKEN_ROWS = (select(_T.c.expires_at, *_U.c, _G.c.id.label("group_id"), _G.c.name.label("group_name"),
                      _G.c.display_name.label("group_display_name"))
               .select_from(_T.join(_U, _U.c.id == _T.c.user_id).outerjoin(_UG, _UG.c.user_id == _U.c.id)
                            .outerjoin(_G, _G.c.id == _UG.c.group_id))
               .where(_T.c.token_hash == bindparam("digest")).order_by(_G.c.name))
_ACTIVE = 1 + list(_U.c.keys()).index("active")  # where users.active is in those rows


class _TokenUsers:
    """token digest -> (the rows it was built from, the User): the User of a token is built once and given
    out again while its rows read the same. Every call still reads the rows, so a token deleted or expired,
    a user deactivated, renamed or given other groups counts from the next call on, in every process.
    The Users are detached and shared between requests and threads: read them, never change them."""

    def __init__(self, size: int = 1024):
        self.size = size
        self._entries: dict[str, tuple[tuple[Any, ...], User]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, rows: tuple[Any, ...]) -> User | None:
        entry = self._entries.get(digest)
        return entry[1] if entry is not None and entry[0] == rows else None

    def put(self, digest: str, rows: tuple[Any, ...], user: User) -> None:
        with self._lock:
            self._entries.pop(digest, None)
            self._entries[digest] = (rows, user)
            while len(self._entries) > self.size:  # the oldest out
                self._entries.pop(next(iter(self._entries)))


_token_users = _TokenUsers()


def user_for_token(session: Session, token: str) -> User:
    """The token's user with its groups: this runs on every API call, as one Core statement."""
    digest = _digest(token)
    rows = tuple(tuple(row) for row in session.execute(_TOKEN_ROWS, {"digest": digest}))
    if not rows or rows[0][0] <= clock.now():
        raise Unauthorized("the token is unknown or has expired; ask for a new one at POST /api/v1/auth/token")
    if not rows[0][_ACTIVE]:
        raise Unauthorized("the token's user is no longer active")
    user = _token_users.get(digest, rows)
    if user is None:
        found = session.execute(_TOKEN_USER, {"digest": digest}).unique().first()
        if found is None:  # deleted in between
            raise Unauthorized("the token is unknown or has expired; ask for a new one at POST /api/v1/auth/token")
        user = found[0]
        if not user.active:
            raise Unauthorized("the token's user is no longer active")
        # detached, with its groups: a rollback of this session cannot expire what other requests read
        for group in user.groups:
            session.expunge(group)
        session.expunge(user)
        _token_users.put(digest, rows, user)
    return user


def group_members(session: Session, groups: list[str]) -> list[User]:
    """The active members of any of these groups, by user name."""
    if not groups:
        return []
    members = select(UserGroup.user_id).join(Group, Group.id == UserGroup.group_id).where(Group.name.in_(groups))
    return list(session.scalars(select(User).where(User.id.in_(members), User.active.is_(True))
                                .order_by(User.username)))


def is_supervisor(user: User) -> bool:
    return bool(user.group_names & {SUPERVISORS, ADMINS})


def is_designer(user: User) -> bool:
    return bool(user.group_names & {DESIGNERS, ADMINS})
