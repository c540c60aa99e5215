"""Telling people: in-app notifications to staff, e-mail and SMS to staff and to external people.

    from tenderwatch.notifications import services as notify
    notify.notify(event="complaints.accepted", title=..., body=..., link="/complaints/…",
                  users=[officer], to=[notify.AddressRef("complaints.filer", str(matter.pk))],
                  channels=("app", "email", "sms"), obj=matter)
    notify.register_resolver("complaints.filer", fn)     # fn(key) -> Contact | None

`notify` writes, in the caller's transaction, one `Notification` per staff user (channel "app")
and one queued `Message` per e-mail or SMS; the messages of the call are sent right after the
commit (nothing is sent when the caller's transaction rolls back). A failed send never fails the
caller: the message stays queued, with exponential backoff, for the sweeper
(`tenderwatch notify send`, `message_send_due`), which gives up after TW_NOTIFY_MAX_ATTEMPTS.

External people have no account. A message to one names an `AddressRef` (resolver name + key);
the registered resolver is called at send time, so the clear-text address is never stored:
the Message row keeps only a masked form, and errors are scrubbed of the address.

Sending and its failures are recorded on the Message rows (attempts, last_error, sent_at), not
in the audit trail: a notification is not a change of state of the caller's object. The
administrator's actions on a message (resend, abandon) are audited.

Settings (with their defaults): TW_NOTIFY_MAX_ATTEMPTS = 6, TW_NOTIFY_RETRY_SECONDS = 60 (first
retry; doubled each time), TW_NOTIFY_RETRY_MAX_SECONDS = 3600, TW_NOTIFY_LEASE_SECONDS = 120,
TW_NOTIFY_SEND_ON_COMMIT = True (False leaves every message to the sweeper),
TW_NOTIFY_SITE_URL = "" (e.g. "https://jg.example.gov.cn"; makes links in staff e-mail absolute),
TW_NOTIFY_SMS_BACKEND (dotted path, console by default), EMAIL_BACKEND, DEFAULT_FROM_EMAIL.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenderwatch.audit import services as audit
from tenderwatch.audit.services import snapshot
from tenderwatch.core.errors import DomainError, NotFound
from tenderwatch.notifications import backends
from tenderwatch.notifications.models import Channel, Message, MessageStatus, Notification
from tenderwatch.org.scoping import ensure_allowed

log = logging.getLogger("tenderwatch.notifications")

APP = "app"
EMAIL = Channel.EMAIL.value
SMS = Channel.SMS.value
CHANNELS = (APP, EMAIL, SMS)
DEFAULT_CHANNELS = (APP, EMAIL)


# -- addresses of external people ----------------------------------------------------------------


@dataclass(frozen=True)
class AddressRef:
    """Whom to reach, without saying how: resolved by `resolver` from `key` at send time."""

    resolver: str
    key: str


@dataclass(frozen=True)
class Contact:
    """What a resolver returns. Either part may be missing."""

    email: str | None = None
    phone: str | None = None


Resolver = Callable[[str], "Contact | None"]
_RESOLVERS: dict[str, Resolver] = {}


def register_resolver(name: str, fn: Resolver) -> None:
    """Register (or replace) the resolver `name`: fn(key) -> Contact, or None when unknown.

    Register in AppConfig.ready(), so the web processes and the sweeper both have it.
    """
    if not name or len(name) > 100:
        raise ValueError("a resolver name is 1 to 100 characters")
    _RESOLVERS[name] = fn


def resolver_names() -> list[str]:
    return sorted(_RESOLVERS)


class Undeliverable(Exception):
    """The message can never be sent as it is (no address for its channel): not retried."""


# -- masking -------------------------------------------------------------------------------------


def mask_email(address: str) -> str:
    local, _sep, domain = address.strip().partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask(channel: str, address: str) -> str:
    return mask_email(address) if channel == EMAIL else mask_phone(address)


# -- notify --------------------------------------------------------------------------------------


def _safe_link(link: str) -> str:
    """A site path or an http(s) address; anything else (javascript:, //host) is refused."""
    link = (link or "").strip()
    if not link:
        return ""
    if (link.startswith("/") and not link.startswith("//")) or re.match(r"^https?://", link):
        if len(link) > 500:
            raise DomainError(_("The link of a notification is too long."), code="link_too_long")
        return link
    raise DomainError(_("The link of a notification must be a site path."), code="link_invalid")


def _absolute(link: str) -> str:
    if not link or re.match(r"^https?://", link):
        return link
    base = str(getattr(settings, "TW_NOTIFY_SITE_URL", "") or "").rstrip("/")
    return base + link if base else ""


def _subject_of(obj: models.Model | None) -> tuple[ContentType | None, str]:
    if obj is None:
        return None, ""
    return ContentType.objects.get_for_model(obj), str(obj.pk)


def _email_body(body: str, link: str) -> str:
    url = _absolute(link)
    if not url:
        return body
    line = _("Open in the platform: %(url)s") % {"url": url}
    return f"{body}\n\n{line}".strip()


def _sms_text(title: str, body: str) -> str:
    return f"{title}\n{body}".strip() if body else title


def notify(
    *,
    event: str,
    title: str,
    body: str = "",
    link: str = "",
    users: Iterable[Any] = (),
    to: Iterable[AddressRef] = (),
    channels: Iterable[str] = DEFAULT_CHANNELS,
    obj: models.Model | None = None,
) -> list[Message]:
    """Notify staff `users` (in the app, and by e-mail / SMS where they have an address) and
    external people `to` (by e-mail / SMS, resolved at send time), on `channels`.

    Runs in the caller's transaction; the messages are sent after its commit. Returns the
    queued messages (the in-app notifications are not returned).
    """
    event = (event or "").strip()
    title = " ".join((title or "").split())
    if not event or len(event) > 100:
        raise DomainError(_("A notification needs an event code."), code="event_missing")
    if not title:
        raise DomainError(_("A notification needs a title."), code="title_missing")
    wanted = tuple(dict.fromkeys(channels))
    unknown = [c for c in wanted if c not in CHANNELS]
    if unknown:
        raise DomainError(
            _("Unknown channel: %(channels)s.") % {"channels": ", ".join(unknown)},
            code="channel_unknown",
        )
    link = _safe_link(link)
    body = (body or "").strip()
    title = title if len(title) <= 200 else title[:199] + "…"
    refs = list(dict.fromkeys(to))
    for ref in refs:
        if not isinstance(ref, AddressRef) or not ref.resolver or not str(ref.key):
            raise DomainError(_("An external recipient must be an address reference."))
        if len(ref.resolver) > 100 or len(str(ref.key)) > 200:
            raise DomainError(_("An address reference is too long."))
    recipients = {u.pk: u for u in users if u is not None and u.pk is not None and u.is_active}
    subject_type, subject_id = _subject_of(obj)
    now = timezone.now()
    common = {"event": event, "subject_type": subject_type, "subject_id": subject_id}

    def message(channel: str, text: str, **recipient: Any) -> Message:
        return Message(
            channel=channel,
            subject=title,
            body=text,
            status=MessageStatus.QUEUED,
            next_try_at=now,
            created_at=now,
            **common,
            **recipient,
        )

    notes: list[Notification] = []
    messages: list[Message] = []
    for user in recipients.values():
        if APP in wanted:
            notes.append(
                Notification(
                    recipient=user, title=title, body=body, link=link, created_at=now, **common
                )
            )
        if EMAIL in wanted and (user.email or "").strip():
            messages.append(message(EMAIL, _email_body(body, link), user=user))
        if SMS in wanted and (getattr(user, "phone", "") or "").strip():
            messages.append(message(SMS, _sms_text(title, body), user=user))
    for ref in refs:
        key = {"resolver": ref.resolver, "address_key": str(ref.key)}
        if EMAIL in wanted:
            messages.append(message(EMAIL, _email_body(body, link), **key))
        if SMS in wanted:
            messages.append(message(SMS, _sms_text(title, body), **key))

    with transaction.atomic():
        Notification.objects.bulk_create(notes)
        for m in messages:  # one by one: the primary keys are needed on every database
            m.save(force_insert=True)
        ids = [m.pk for m in messages]
        if ids and getattr(settings, "TW_NOTIFY_SEND_ON_COMMIT", True):
            transaction.on_commit(partial(_send_after_commit, ids), robust=True)
    return messages


def _send_after_commit(ids: list[int]) -> None:
    try:
        message_send_due(ids=ids)
    except Exception:  # the caller's change is committed; the sweeper will try again
        log.exception("sending messages %s after the commit failed; left to the sweeper", ids)


# -- the inbox -----------------------------------------------------------------------------------


def _own(actor: Any, notification: Notification | int) -> Notification:
    pk = notification.pk if isinstance(notification, Notification) else notification
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotFound()
    found = Notification.objects.filter(pk=pk, recipient_id=actor.pk).first()
    if found is None:
        raise NotFound()  # someone else's notice does not exist for this actor
    return found


def mark_read(*, notification: Notification | int, actor: Any) -> Notification:
    """Mark one of the actor's own notifications read; another's answers "not found"."""
    found = _own(actor, notification)
    if found.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=found.pk, read_at__isnull=True).update(read_at=now)
        found.read_at = now
    return found


def mark_unread(*, notification: Notification | int, actor: Any) -> Notification:
    found = _own(actor, notification)
    Notification.objects.filter(pk=found.pk).update(read_at=None)
    found.read_at = None
    return found


def mark_all_read(*, actor: Any) -> int:
    """Mark all the actor's unread notifications read; returns how many."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotFound()
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# -- sending -------------------------------------------------------------------------------------


def max_attempts() -> int:
    return int(getattr(settings, "TW_NOTIFY_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after `attempts` failed ones: 1, 2, 4, … × the base."""
    base = float(getattr(settings, "TW_NOTIFY_RETRY_SECONDS", 60))
    cap = float(getattr(settings, "TW_NOTIFY_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _lease() -> dt.timedelta:
    # A sweeper that dies while sending leaves the row to be claimed again when the lease ends.
    return dt.timedelta(seconds=float(getattr(settings, "TW_NOTIFY_LEASE_SECONDS", 120)))


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    abandoned: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.abandoned + self.failed


CLAIMABLE = (MessageStatus.QUEUED, MessageStatus.SENDING)


def claim_due(
    *, now: dt.datetime, limit: int = 100, ids: list[int] | None = None
) -> list[tuple[int, int]]:
    """Claim due messages for this sender: [(pk, attempt number)]. Several may run at once.

    A row is claimed by a conditional UPDATE (… WHERE status IN (queued, sending) AND
    next_try_at <= now AND attempts = seen) that marks it `sending`, counts the attempt and
    moves next_try_at past a lease; only the sender whose UPDATE touched the row sends it. On
    PostgreSQL the candidates are read with FOR UPDATE SKIP LOCKED so senders do not queue
    behind each other.
    """
    claimed: list[tuple[int, int]] = []
    with transaction.atomic():
        due = Message.objects.filter(status__in=CLAIMABLE, next_try_at__lte=now)
        if ids is not None:
            due = due.filter(pk__in=ids)
        due = due.order_by("next_try_at", "pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        candidates = list(due.values_list("pk", "attempts")[:limit])
        for pk, attempts in candidates:
            updated = Message.objects.filter(
                pk=pk, status__in=CLAIMABLE, next_try_at__lte=now, attempts=attempts
            ).update(
                status=MessageStatus.SENDING,
                next_try_at=now + _lease(),
                attempts=attempts + 1,
            )
            if updated:
                claimed.append((pk, attempts + 1))
    return claimed


def _address(message: Message) -> str:
    """The clear-text address, looked up now; raises Undeliverable where there is none."""
    if message.user_id is not None:
        user = message.user
        if user is None:
            raise Undeliverable("the staff recipient no longer exists")
        contact = Contact(email=user.email, phone=getattr(user, "phone", ""))
    else:
        resolver = _RESOLVERS.get(message.resolver)
        if resolver is None:
            # Retried: the process may lack the app that registers it (a configuration error).
            raise RuntimeError(f"no address resolver {message.resolver!r} is registered")
        found = resolver(message.address_key)
        if found is None:
            raise Undeliverable(f"{message.resolver} knows no contact for this key")
        contact = found
    address = (contact.email if message.channel == EMAIL else contact.phone) or ""
    address = address.strip()
    if not address:
        raise Undeliverable(
            "no e-mail address" if message.channel == EMAIL else "no telephone number"
        )
    return address


def _send(message: Message, address: str) -> str:
    if message.channel == EMAIL:
        return backends.send_email(to=address, subject=message.subject, body=message.body)
    return backends.send_sms(to=address, text=message.body)


def _scrub(error: str, address: str, masked: str) -> str:
    if address:
        error = error.replace(address, masked)
        digits = re.sub(r"\D", "", address)
        if message_is_phone(address) and digits:
            error = error.replace(digits, masked)
    return error[:2000]


def message_is_phone(address: str) -> bool:
    return "@" not in address


def _deliver(pk: int, attempt: int, *, now: dt.datetime, report: SendReport) -> None:
    message = Message.objects.select_related("user").get(pk=pk)
    address = masked = receipt = error = ""
    permanent = False
    try:
        address = _address(message)
        masked = mask(message.channel, address)
        receipt = _send(message, address) or ""
    except Undeliverable as exc:
        error, permanent = str(exc), True
    except Exception as exc:  # one broken message must not stop the others
        error = f"{type(exc).__name__}: {exc}"
    error = _scrub(error, address, masked)
    changes: dict[str, Any] = {"masked_address": masked[:100]} if masked else {}
    if not error:
        changes.update(
            status=MessageStatus.SENT,
            sent_at=timezone.now(),
            receipt=str(receipt)[:200],
            last_error="",
            next_try_at=None,
        )
        report.sent += 1
    elif permanent:
        changes.update(status=MessageStatus.FAILED, last_error=error, next_try_at=None)
        report.failed += 1
        log.warning("message %s cannot be sent: %s", pk, error)
    elif attempt >= max_attempts():
        changes.update(status=MessageStatus.ABANDONED, last_error=error, next_try_at=None)
        report.abandoned += 1
        log.error("message %s ABANDONED after %s attempts: %s", pk, attempt, error)
    else:
        changes.update(
            status=MessageStatus.QUEUED, last_error=error, next_try_at=now + backoff(attempt)
        )
        report.retrying += 1
        log.warning("message %s attempt %s failed: %s", pk, attempt, error)
    # Only while this sender still holds the claim (a lease that ran out lets another claim it).
    Message.objects.filter(pk=pk, status=MessageStatus.SENDING, attempts=attempt).update(**changes)


def message_send_due(
    *, now: dt.datetime | None = None, limit: int = 100, ids: list[int] | None = None
) -> SendReport:
    """Send what is due now (only `ids`, where given). The sweeper calls it in a loop."""
    now = now or timezone.now()
    report = SendReport()
    for pk, attempt in claim_due(now=now, limit=limit, ids=ids):
        _deliver(pk, attempt, now=now, report=report)
    return report


# -- the administrator's actions -----------------------------------------------------------------

MESSAGE_FIELDS = ["status", "attempts", "next_try_at", "last_error", "sent_at"]


@transaction.atomic
def message_resend(*, message: Message, actor: Any, note: str = "") -> Message:
    """Queue a failed or abandoned message again, with a fresh count of attempts."""
    ensure_allowed(actor, "notifications.message.manage")
    row = Message.objects.select_for_update().get(pk=message.pk)
    if row.status not in (MessageStatus.FAILED, MessageStatus.ABANDONED):
        raise DomainError(
            _("Only a failed or abandoned message can be sent again."), code="message_state"
        )
    before = snapshot(row, MESSAGE_FIELDS)
    row.status = MessageStatus.QUEUED
    row.attempts = 0
    row.next_try_at = timezone.now()
    row.save(update_fields=["status", "attempts", "next_try_at"])
    audit.record(
        actor=actor,
        action="notifications.message.resent",
        obj=row,
        before=before,
        after=snapshot(row, MESSAGE_FIELDS),
        note=note,
    )
    return row


@transaction.atomic
def message_abandon(*, message: Message, actor: Any, note: str = "") -> Message:
    """Stop a queued message: it will not be sent."""
    ensure_allowed(actor, "notifications.message.manage")
    row = Message.objects.select_for_update().get(pk=message.pk)
    if row.status != MessageStatus.QUEUED:
        raise DomainError(_("Only a queued message can be abandoned."), code="message_state")
    before = snapshot(row, MESSAGE_FIELDS)
    row.status = MessageStatus.ABANDONED
    row.next_try_at = None
    row.save(update_fields=["status", "next_try_at"])
    audit.record(
        actor=actor,
        action="notifications.message.abandoned",
        obj=row,
        before=before,
        after=snapshot(row, MESSAGE_FIELDS),
        note=note,
    )
    return row
