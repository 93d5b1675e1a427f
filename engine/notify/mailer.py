"""Sending e-mail over SMTP with the `mail.*` settings: plain, STARTTLS or SSL, login when a user name is set.

One connection serves a whole batch of the outbox. Errors are sorted into two kinds, because the
outbox treats them differently: the server could not be used at all (`Unavailable`: every message
of the batch waits for the next attempt) or it refused this one message (`Refused`).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any


class MailError(Exception):
    pass


class Unavailable(MailError):
    """Could not connect, log in or talk to the server; the next message would fail the same way."""


class Refused(MailError):
    """The server refused this message (recipient, sender or content)."""


def build(config: Any, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()  # UTF-8 text; headers with Chinese are encoded as RFC 2047 words
    message["From"] = config["mail.sender"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=config["mail.sender"].rpartition("@")[2] or None)
    message.set_content(body)
    return message


class Mailer:
    """`with Mailer(config) as mailer: mailer.send(...)`; connects on the first message."""

    def __init__(self, config: Any):
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def send(self, to: str, subject: str, body: str) -> None:
        message = build(self.config, to, subject, body)
        smtp = self._connect()
        try:
            smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as err:
            raise Refused(_describe(err)) from err
        except (smtplib.SMTPException, OSError) as err:
            self._drop()
            raise Unavailable(_describe(err)) from err

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        c = self.config
        host, port, timeout, security = c["mail.host"], c["mail.port"], c["mail.timeout_seconds"], c["mail.security"]
        try:
            if security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            try:
                if security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if c["mail.username"]:
                    smtp.login(c["mail.username"], c["mail.password"])
            except BaseException:
                smtp.close()
                raise
        except (smtplib.SMTPException, OSError) as err:
            raise Unavailable(f"{host}:{port}: {_describe(err)}") from err
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def send(config: Any, to: str, subject: str, body: str) -> None:
    """One message on its own connection."""
    with Mailer(config) as mailer:
        mailer.send(to, subject, body)


def _describe(err: BaseException) -> str:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{to}: {code} {msg.decode('utf-8', 'replace')}" for to, (code, msg) in
                         err.recipients.items())
    if isinstance(err, smtplib.SMTPResponseException):
        message = err.smtp_error.decode("utf-8", "replace") if isinstance(err.smtp_error, bytes) else err.smtp_error
        return f"{err.smtp_code} {message}"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
