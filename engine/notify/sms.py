"""Text messages (SMS) to a person's phone through a gateway: Chinese offices reach deputies this way.

The gateway is pluggable (`sms.gateway`): `log` writes each message to the log and counts it as sent (the
default: nothing leaves the machine until an office configures its provider); `http` posts each message
as JSON to the provider's endpoint (`sms.url`, with `sms.token` as a bearer token). As with mail, errors
come in two kinds: the gateway cannot be used at all (`Unavailable`: the rest of the batch waits for the
next attempt) or it refused this one message (`Refused`: a wrong number, say).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any, Protocol

log = logging.getLogger(__name__)

class SmsError(Exception):
    pass


class Unavailable(SmsError):
    """The gateway could not be reached or answered with a server error; the next message would fail too."""


class Refused(SmsError):
    """The gateway refused this message (a 4xx answer: the number, the text)."""


class Gateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


def shorten(subject: str, body: str, limit: int) -> str:
    """One text: the subject, then as much of the body as fits (an SMS is short and paid per part)."""
    text = subject if not body else f"{subject}：{body}"
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


class LoggingGateway:
    """Writes each message to the log: for development, and for offices without a provider yet."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)
        self.sent.append((phone, text))


class HttpGateway:
    """POSTs {"to", "text", "sender"} as JSON to the provider's endpoint, with a bearer token if set."""

    def __init__(self, url: str, token: str = "", sender: str = "", timeout: float = 10.0):
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": phone, "text": text, "sender": self.sender}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (configured URL)
                answer.read(4096)
        except urllib.error.HTTPError as err:
            detail = err.read(500).decode("utf-8", "replace")
            if 400 <= err.code < 500 and err.code not in (408, 429):
                raise Refused(f"the SMS gateway refused the message ({err.code}): {detail}") from err
            raise Unavailable(f"the SMS gateway answered {err.code}: {detail}") from err
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            raise Unavailable(f"the SMS gateway cannot be reached: {getattr(err, 'reason', err)}") from err


_logging_gateway = LoggingGateway()


def gateway(config: Any) -> Gateway:
    """The gateway the settings name (one logging gateway per process, so tests and admins can look at it)."""
    if config["sms.gateway"] == "http":
        return HttpGateway(config["sms.url"], config["sms.token"], config["sms.sender"], config["sms.timeout_seconds"])
    return _logging_gateway
