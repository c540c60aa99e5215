"""Delivery backends: e-mail through Django's mail framework, SMS through a pluggable class.

E-mail goes through whatever `EMAIL_BACKEND` names (SMTP in production; the console backend in
the demo; locmem in the tests). SMS goes through the class `TW_NOTIFY_SMS_BACKEND` names, by
dotted path. A gateway backend (e.g. the government SMS platform, 政务短信平台) subclasses
`BaseSMSBackend` and implements `send`: return the gateway's receipt, or raise `DeliveryError`
(the sweeper retries it with backoff). Any other exception counts as a failed attempt too.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any, TextIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

log = logging.getLogger("tenderwatch.notifications")

DEFAULT_SMS_BACKEND = "tenderwatch.notifications.backends.ConsoleSMSBackend"


class DeliveryError(Exception):
    """The backend did not take the message; it stays queued and is retried."""


# -- SMS -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SMS:
    to: str
    text: str


class BaseSMSBackend:
    """The interface of an SMS gateway. One instance is made per delivery attempt."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, *, to: str, text: str) -> str:
        """Send `text` to the telephone number `to`; return the gateway's receipt."""
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """For the demo and development: the SMS is written to standard output and the log."""

    stream: TextIO | None = None

    def send(self, *, to: str, text: str) -> str:
        from tenderwatch.notifications.services import mask_phone

        # An informant's number must not end up in a log: the console shows it masked.
        shown = mask_phone(to)
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {shown}\n{text}\n{'-' * 40}\n")
        stream.flush()
        log.info("SMS (console) to %s: %s", shown, text.replace("\n", " ")[:200])
        return "console"


# What LocmemSMSBackend has "sent", like django.core.mail.outbox. Tests clear it.
outbox: list[SMS] = []
_outbox_lock = threading.Lock()


class LocmemSMSBackend(BaseSMSBackend):
    """For tests: keeps every SMS in `tenderwatch.notifications.backends.outbox`."""

    def send(self, *, to: str, text: str) -> str:
        with _outbox_lock:
            outbox.append(SMS(to=to, text=text))
            return f"locmem:{len(outbox)}"


def sms_backend() -> BaseSMSBackend:
    path = getattr(settings, "TW_NOTIFY_SMS_BACKEND", "") or DEFAULT_SMS_BACKEND
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise DeliveryError(f"TW_NOTIFY_SMS_BACKEND {path!r} cannot be imported: {exc}") from None
    options = getattr(settings, "TW_NOTIFY_SMS_OPTIONS", {}) or {}
    backend: BaseSMSBackend = cls(**options)
    return backend


def send_sms(*, to: str, text: str) -> str:
    return sms_backend().send(to=to, text=text)


# -- e-mail --------------------------------------------------------------------------------------


def send_email(*, to: str, subject: str, body: str) -> str:
    """Send one e-mail through EMAIL_BACKEND; a refusal raises (SMTP errors and the like)."""
    message = EmailMessage(
        subject=subject.replace("\n", " ").replace("\r", " "),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    if message.send(fail_silently=False) != 1:
        raise DeliveryError("the e-mail backend did not send the message")
    return message.extra_headers.get("Message-ID", "") or "email"
