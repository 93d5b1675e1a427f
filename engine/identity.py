"""Users, groups and bearer tokens. Passwords are argon2 hashes; tokens are stored as sha256 only."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Conflict, Invalid, Unauthorized
from engine.store import ApiToken, Group, LoginFailure, User, UserGroup

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


def authenticate(session: Session, username: str, password: str, address: str = "",
                 max_failures: int | None = None, lockout_minutes: int = 15) -> User:
    """The user, or Unauthorized. With `max_failures`, repeated failures for one name lock it for a while
    (TooManyAttempts), so that passwords cannot be guessed at speed."""
    if max_failures is not None:
        since = clock.now() - timedelta(minutes=lockout_minutes)
        recent = session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.at > since))
        if recent >= max_failures:
            raise TooManyAttempts(f"too many failed sign-ins for {username}; try again in {lockout_minutes} minutes")
    user = get_user(session, username)
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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, ttl_hours: int) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + timedelta(hours=ttl_hours)
    session.add(ApiToken(token_hash=_digest(token), user_id=user.id, expires_at=expires_at))
    session.flush()
    return token, expires_at


def user_for_token(session: Session, token: str) -> User:
    """The token's user (one query for both; the groups follow in one more, by the user's key):
    this runs on every API call."""
    found = session.execute(select(User, ApiToken.expires_at).join(ApiToken, ApiToken.user_id == User.id)
                            .where(ApiToken.token_hash == _digest(token))).first()
    if found is None or found[1] <= clock.now():
        raise Unauthorized("the token is unknown or has expired; ask for a new one at POST /api/v1/auth/token")
    user = found[0]
    if not user.active:
        raise Unauthorized("the token's user is no longer active")
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
