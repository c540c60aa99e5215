"""notify(): in-app rows, queued messages, delivery after the commit, retries, resolvers."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db import models, transaction
from django.utils import timezone

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import DomainError, NotFound, PermissionDenied
from tenderwatch.notifications import backends, selectors, services
from tenderwatch.notifications.models import Message, MessageStatus, Notification
from tenderwatch.notifications.tests.conftest import FILERS

FILER = services.AddressRef("test.filer", "m-1")
CLEAR = ["li.filer@example.cn", "13812345678", "13900001111"]


class BrokenEmailBackend:
    """An SMTP server that refuses everything (and names the address in its error)."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        raise ConnectionRefusedError(f"550 mailbox unavailable: {messages[0].to[0]}")


class BrokenSMSBackend(backends.BaseSMSBackend):
    def send(self, *, to: str, text: str) -> str:
        raise backends.DeliveryError(f"gateway timeout for {to}")


BROKEN_EMAIL = f"{__name__}.BrokenEmailBackend"
BROKEN_SMS = f"{__name__}.BrokenSMSBackend"


def _accepted(**kwargs: Any) -> list[Message]:
    defaults: dict[str, Any] = {
        "event": "complaints.accepted",
        "title": "投诉已受理",
        "body": "您的投诉 TS-2026-0001 已受理，请按期查询办理进度。",
        "link": "/complaints/1/",
    }
    return services.notify(**{**defaults, **kwargs})


def _clear_text_in_database() -> list[str]:
    """Every clear-text external address found in any text column of this app's tables."""
    found = []
    for model in apps.get_app_config("notifications").get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
        ]
        for row in model.objects.values(*fields):
            for name, value in row.items():
                found += [f"{model.__name__}.{name}: {c}" for c in CLEAR if c in (value or "")]
    for entry in AuditEntry.objects.all():
        text = f"{entry.before} {entry.after} {entry.note} {entry.object_repr}"
        found += [f"audit #{entry.seq}: {c}" for c in CLEAR if c in text]
    return found


# -- notify, before and after the commit ---------------------------------------------------------


def test_notify_writes_inbox_rows_and_queues_messages(
    staff: Any, resolver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    housing, clerk = staff.housing_officer, staff.office_clerk
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        messages = _accepted(
            users=[housing, clerk, housing],
            to=[FILER],
            channels=("app", "email", "sms"),
            obj=clerk,
        )
    notes = Notification.objects.order_by("recipient__username")
    assert [(n.recipient, n.event, n.title, n.link, n.read_at) for n in notes] == [
        (housing, "complaints.accepted", "投诉已受理", "/complaints/1/", None),
        (clerk, "complaints.accepted", "投诉已受理", "/complaints/1/", None),
    ]
    assert notes[0].subject_id == str(clerk.pk)
    # housing: e-mail + SMS; clerk: e-mail only (no phone); the filer: e-mail + SMS.
    rows = {(m.channel, m.user_id, m.resolver, m.address_key) for m in messages}
    assert rows == {
        ("email", housing.pk, "", ""),
        ("sms", housing.pk, "", ""),
        ("email", clerk.pk, "", ""),
        ("email", None, "test.filer", "m-1"),
        ("sms", None, "test.filer", "m-1"),
    }
    assert Message.objects.filter(status=MessageStatus.QUEUED, attempts=0).count() == 5
    assert len(callbacks) == 1
    # Nothing is sent, nor resolved, before the commit.
    assert mail.outbox == [] and backends.outbox == [] and resolver.calls == []
    staff_mail = Message.objects.get(channel="email", user=housing)
    assert staff_mail.body.endswith("https://jg.example.gov.cn/complaints/1/")
    external = Message.objects.get(channel="email", resolver="test.filer")
    assert external.body.endswith("在平台中查看：https://jg.example.gov.cn/complaints/1/")
    # An SMS carries the title and the text, not the link.
    assert Message.objects.get(channel="sms", user=housing).body == (
        "投诉已受理\n您的投诉 TS-2026-0001 已受理，请按期查询办理进度。"
    )


def test_messages_are_sent_after_the_commit(
    staff: Any, resolver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _accepted(users=[staff.housing_officer], to=[FILER], channels=("app", "email", "sms"))
    assert sorted(m.to[0] for m in mail.outbox) == [
        "housing.officer@hz.example.gov.cn",
        "li.filer@example.cn",
    ]
    assert all(m.subject == "投诉已受理" for m in mail.outbox)
    assert sorted(s.to for s in backends.outbox) == ["13700000001", "13812345678"]
    assert all(s.text.startswith("投诉已受理\n您的投诉 TS-2026-0001") for s in backends.outbox)
    # The resolver was called at send time, once per message to the filer.
    assert resolver.calls == ["m-1", "m-1"]
    sent = Message.objects.filter(resolver="test.filer").order_by("channel")
    assert [(m.status, m.attempts, m.masked_address) for m in sent] == [
        (MessageStatus.SENT, 1, "l***@example.cn"),
        (MessageStatus.SENT, 1, "138****5678"),
    ]
    assert all(m.sent_at is not None and m.next_try_at is None for m in sent)
    assert _clear_text_in_database() == []


def test_app_only_notification_sends_nothing(
    staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        messages = _accepted(users=[staff.housing_officer], channels=("app",))
    assert messages == [] and callbacks == []
    assert Notification.objects.filter(recipient=staff.housing_officer).count() == 1
    assert mail.outbox == [] and backends.outbox == []


@pytest.mark.django_db(transaction=True)
def test_real_commit_sends_and_rollback_sends_nothing(personas: Any, resolver: Any) -> None:
    officer = personas.housing_officer
    officer.email = "housing.officer@hz.example.gov.cn"
    officer.save(update_fields=["email"])

    with pytest.raises(RuntimeError), transaction.atomic():
        _accepted(users=[officer], to=[FILER], channels=("app", "email", "sms"))
        assert Message.objects.count() == 3
        raise RuntimeError("the caller's change failed")
    assert Message.objects.count() == 0 and Notification.objects.count() == 0
    assert mail.outbox == [] and backends.outbox == [] and resolver.calls == []

    with transaction.atomic():
        _accepted(users=[officer], to=[FILER], channels=("app", "email", "sms"))
        assert mail.outbox == []  # still inside the caller's transaction
    assert len(mail.outbox) == 2 and len(backends.outbox) == 1
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert _clear_text_in_database() == []


# -- failures, backoff, the sweeper ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_failed_send_never_fails_the_caller_and_the_sweeper_sends_later(
    personas: Any, resolver: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = BROKEN_EMAIL
    settings.TW_NOTIFY_SMS_BACKEND = BROKEN_SMS
    settings.TW_NOTIFY_RETRY_SECONDS = 60
    with transaction.atomic():
        _accepted(users=[personas.housing_officer], to=[FILER], channels=("app", "email", "sms"))
        personas.housing_officer.full_name = "committed"
        personas.housing_officer.save(update_fields=["full_name"])
    # The caller's change and the inbox row are committed; both messages wait for a retry.
    personas.housing_officer.refresh_from_db()
    assert personas.housing_officer.full_name == "committed"
    assert Notification.objects.count() == 1
    queued = list(Message.objects.order_by("channel"))
    assert [(m.status, m.attempts) for m in queued] == [(MessageStatus.QUEUED, 1)] * 2
    first_try = queued[0].next_try_at
    assert first_try is not None
    assert (
        "ConnectionRefusedError: 550 mailbox unavailable: l***@example.cn" in queued[0].last_error
    )
    assert queued[1].last_error == "DeliveryError: gateway timeout for 138****5678"
    assert _clear_text_in_database() == []

    # Not due yet: the first retry waits one base interval.
    soon = first_try - dt.timedelta(seconds=1)
    assert services.message_send_due(now=soon).claimed == 0
    later = first_try + dt.timedelta(seconds=1)
    report = services.message_send_due(now=later)
    assert (report.retrying, report.sent) == (2, 0)
    again = Message.objects.get(channel="email")
    assert again.attempts == 2
    assert again.next_try_at == later + dt.timedelta(seconds=120)  # doubled

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TW_NOTIFY_SMS_BACKEND = "tenderwatch.notifications.backends.LocmemSMSBackend"
    out = StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: later + dt.timedelta(hours=1))
        call_command("notify", "send", stdout=out)
    assert out.getvalue().strip() == "sent 2, retrying 0, abandoned 0, failed 0"
    assert [m.to for m in mail.outbox] == [["li.filer@example.cn"]]
    assert [s.to for s in backends.outbox] == ["13812345678"]
    done = Message.objects.get(channel="email")
    assert (done.status, done.attempts, done.last_error) == (MessageStatus.SENT, 3, "")


def test_the_sweeper_abandons_after_the_maximum_attempts(
    staff: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TW_NOTIFY_SMS_BACKEND = BROKEN_SMS
    settings.TW_NOTIFY_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        (message,) = _accepted(users=[staff.housing_officer], channels=("sms",))
    now = timezone.now()
    for attempt in (2, 3):
        now += dt.timedelta(hours=2)
        report = services.message_send_due(now=now)
        assert report.claimed == 1
        message.refresh_from_db()
        assert message.attempts == attempt
    assert report.abandoned == 1
    assert (message.status, message.next_try_at) == (MessageStatus.ABANDONED, None)
    assert message.last_error == "DeliveryError: gateway timeout for 137****0001"
    assert services.message_send_due(now=now + dt.timedelta(days=30)).claimed == 0
    assert backends.outbox == []


def test_an_address_that_does_not_exist_fails_without_retry(
    staff: Any, resolver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _accepted(
            to=[services.AddressRef("test.filer", "m-2"), services.AddressRef("test.filer", "x")],
            channels=("email", "sms"),
        )
    rows = {(m.address_key, m.channel): (m.status, m.last_error) for m in Message.objects.all()}
    assert rows == {
        ("m-2", "email"): (MessageStatus.FAILED, "no e-mail address"),
        ("m-2", "sms"): (MessageStatus.SENT, ""),
        ("x", "email"): (MessageStatus.FAILED, "test.filer knows no contact for this key"),
        ("x", "sms"): (MessageStatus.FAILED, "test.filer knows no contact for this key"),
    }
    assert [s.to for s in backends.outbox] == [FILERS["m-2"].phone]
    assert services.message_send_due(now=timezone.now() + dt.timedelta(days=1)).claimed == 0


def test_an_unregistered_resolver_is_retried(
    staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        (message,) = _accepted(to=[services.AddressRef("nobody.yet", "1")], channels=("sms",))
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert "no address resolver 'nobody.yet' is registered" in message.last_error


def test_a_claimed_message_is_not_sent_twice(
    staff: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TW_NOTIFY_SEND_ON_COMMIT = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        (message,) = _accepted(users=[staff.housing_officer], channels=("sms",))
    assert callbacks == []  # left to the sweeper
    now = timezone.now()
    claimed = services.claim_due(now=now)
    assert claimed == [(message.pk, 1)]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING
    # A second sender finds nothing while the lease runs …
    assert services.message_send_due(now=now + dt.timedelta(seconds=60)).claimed == 0
    # … and takes the message over when the first sender died and the lease ran out.
    report = services.message_send_due(now=now + dt.timedelta(seconds=121))
    assert report.sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert [s.to for s in backends.outbox] == ["13700000001"]


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example/x", "data:text/html,x"])
def test_a_link_must_be_a_site_path(personas: Any, link: str) -> None:
    with pytest.raises(DomainError) as caught:
        _accepted(users=[personas.housing_officer], link=link)
    assert caught.value.code == "link_invalid"
    assert Notification.objects.count() == 0


def test_unknown_channel_and_missing_title_are_refused(personas: Any) -> None:
    with pytest.raises(DomainError) as caught:
        _accepted(users=[personas.housing_officer], channels=("app", "fax"))
    assert caught.value.code == "channel_unknown"
    with pytest.raises(DomainError) as caught:
        _accepted(users=[personas.housing_officer], title="  ")
    assert caught.value.code == "title_missing"
    with pytest.raises(DomainError):
        _accepted(to=["13812345678"], channels=("sms",))  # a clear address is not a reference
    assert Message.objects.count() == 0


# -- the inbox: only the recipient ----------------------------------------------------------------


def test_only_the_recipient_marks_a_notification_read(personas: Any) -> None:
    housing, transport = personas.housing_officer, personas.transport_officer
    _accepted(users=[housing, transport], channels=("app",))
    theirs = Notification.objects.get(recipient=housing)
    with pytest.raises(NotFound):
        services.mark_read(notification=theirs, actor=transport)
    with pytest.raises(NotFound):
        services.mark_read(notification=theirs.pk, actor=None)
    theirs.refresh_from_db()
    assert theirs.read_at is None

    assert services.mark_all_read(actor=transport) == 1
    assert selectors.unread_count(housing) == 1 and selectors.unread_count(transport) == 0
    marked = services.mark_read(notification=theirs.pk, actor=housing)
    assert marked.read_at is not None
    assert selectors.unread_count(housing) == 0
    assert list(selectors.inbox_for(transport)) == [Notification.objects.get(recipient=transport)]


# -- the administrator's actions ----------------------------------------------------------------


def test_resend_and_abandon_are_the_administrators_and_audited(
    staff: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TW_NOTIFY_SEND_ON_COMMIT = False
    (message,) = _accepted(users=[staff.housing_officer], channels=("sms",))
    with pytest.raises(PermissionDenied):
        services.message_abandon(message=message, actor=staff.office_clerk)
    services.message_abandon(message=message, actor=staff.admin, note="wrong number")
    message.refresh_from_db()
    assert message.status == MessageStatus.ABANDONED
    assert services.message_send_due(now=timezone.now() + dt.timedelta(days=1)).claimed == 0
    with pytest.raises(DomainError):
        services.message_abandon(message=message, actor=staff.admin)

    services.message_resend(message=message, actor=staff.admin)
    assert services.message_send_due(now=timezone.now() + dt.timedelta(seconds=1)).sent == 1
    entries = AuditEntry.objects.filter(object_type="notifications.message").order_by("seq")
    assert [(e.action, e.actor_id, e.after["status"]) for e in entries] == [
        ("notifications.message.abandoned", staff.admin.pk, "abandoned"),
        ("notifications.message.resent", staff.admin.pk, "queued"),
    ]
    assert entries[0].note == "wrong number"


def test_the_console_sms_backend_never_prints_a_whole_number(caplog: Any) -> None:
    from tenderwatch.notifications.backends import ConsoleSMSBackend

    out = StringIO()
    backend = ConsoleSMSBackend()
    backend.stream = out
    with caplog.at_level("INFO", logger="tenderwatch.notifications"):
        receipt = backend.send(to="13871234567", text="TS-2026-000001 已收件")
    assert receipt == "console"
    assert "138****4567" in out.getvalue() and "TS-2026-000001 已收件" in out.getvalue()
    assert "13871234567" not in out.getvalue() + caplog.text
