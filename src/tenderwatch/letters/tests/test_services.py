"""Issuing, numbering, opening, templates: the services, with their audit entries and
permission checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import docx
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, NotFound, PermissionDenied
from tenderwatch.core.timeutil import CHINA
from tenderwatch.letters import registry, services
from tenderwatch.letters.models import Letter, LetterSequence, LetterTemplate
from tenderwatch.letters.rendering import TemplateRefused
from tenderwatch.letters.tests.conftest import TEST_KIND, make_test_kind
from tenderwatch.letters.tests.helpers import template_with, texts, zip_without_word
from tenderwatch.org.testing import make_officer

pytestmark = pytest.mark.django_db

GOOD = (
    "{{ office_name }}",
    "{{ letter_number }}",
    "致{{ addressee }}：",
    "新版正文：{{ body }}",
    "{%p for item in items %}",
    "{{ item }}",
    "{%p endfor %}",
)


def _issue(personas: Any, subject: Any, kind: str = TEST_KIND, **context: Any) -> Letter:
    return services.letter_issue(
        kind=kind,
        context={"addressee": "湖北楚天建设有限公司", "body": "正文。", **context},
        subject=subject,
        actor=personas.office_clerk,
    )


# -- issuing and numbering ------------------------------------------------------------------


def test_issue_numbers_stores_and_audits(
    personas: Any, subject: Any, organ: str, test_kind: Any
) -> None:
    with time_machine.travel(dt.datetime(2026, 6, 8, 10, tzinfo=CHINA), tick=False):
        first = _issue(personas, subject)
        second = _issue(personas, subject)
    assert first.number == "黄州公管测〔2026〕1号"
    assert second.number == "黄州公管测〔2026〕2号"
    assert (first.year, first.serial, first.prefix) == (2026, 1, "测")
    content = services.stored_bytes(first)
    assert hashlib.sha256(content).hexdigest() == first.sha256
    assert "黄州公管测〔2026〕1号" in texts(content)
    assert "湖北楚天建设有限公司：" in texts(content)
    assert "2026年6月8日" in texts(content)  # issued_on filled in when not given
    assert first.context["letter_number"] == first.number
    assert first.template_version == 0 and len(first.template_sha256) == 64
    assert first.issued_by == personas.office_clerk
    assert first.subject == subject
    assert list(services.letters_of(subject)) == [second, first]
    entries = AuditEntry.objects.filter(action="letter.issued").order_by("seq")
    assert [e.object_id for e in entries] == [str(first.pk), str(second.pk)]
    assert entries[0].after["number"] == first.number
    assert entries[0].after["sha256"] == first.sha256
    assert entries[0].after["subject"] == f"org.department:{subject.pk}"


def test_numbers_run_per_prefix_and_restart_each_year(
    personas: Any, subject: Any, organ: str, test_kind: Any
) -> None:
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, 30, tzinfo=CHINA), tick=False):
        a = _issue(personas, subject)
        b = _issue(personas, subject, kind="complaints.acceptance_notice", filer_name="某公司")
    # 2027-01-01 00:10 in China is still 2026-12-31 in UTC: the year is China's.
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 10, tzinfo=CHINA), tick=False):
        c = _issue(personas, subject)
        d = _issue(personas, subject)
    assert a.number == "黄州公管测〔2026〕1号"
    assert b.number == "黄州公管投诉受〔2026〕1号"
    assert c.number == "黄州公管测〔2027〕1号"
    assert d.number == "黄州公管测〔2027〕2号"
    assert set(LetterSequence.objects.values_list("prefix", "year", "last")) == {
        ("测", 2026, 1),
        ("投诉受", 2026, 1),
        ("测", 2027, 2),
    }


def test_office_code_comes_from_the_district(personas: Any, subject: Any, test_kind: Any) -> None:
    from tenderwatch.org.testing import load_district

    load_district(actor=personas.admin)  # 黄州区
    letter = _issue(personas, subject)
    assert letter.number.startswith("黄州公管测〔")


def test_a_failed_issue_gives_its_number_back(
    personas: Any, subject: Any, organ: str, test_kind: Any
) -> None:
    first = _issue(personas, subject)
    broken = make_test_kind(
        code="tests.broken",
        default_template=lambda: template_with(
            "{{ office_name }}",
            "{{ letter_number }}",
            "{{ addressee }}{{ body }}",
            "{{ items.nothing.deeper }}",
        ),
    )
    registry.register(broken)
    try:
        with pytest.raises(DomainError):
            services.letter_issue(
                kind="tests.broken",
                context={"items": []},
                subject=subject,
                actor=personas.office_clerk,
            )
    finally:
        registry.unregister("tests.broken")
    assert Letter.objects.count() == 1
    second = _issue(personas, subject)
    assert [first.serial, second.serial] == [1, 2]  # "测" shared: no gap left by the failure


def test_issue_refused_to_an_auditor_and_nothing_stored(
    personas: Any, subject: Any, test_kind: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.letter_issue(kind=TEST_KIND, context={}, subject=subject, actor=personas.auditor)
    with pytest.raises(PermissionDenied):
        services.letter_issue(
            kind=TEST_KIND, context={}, subject=subject, actor=personas.discipline_liaison
        )
    assert not Letter.objects.exists() and not LetterSequence.objects.exists()
    assert not AuditEntry.objects.filter(action="letter.issued").exists()


def test_department_officers_issue(personas: Any, subject: Any, test_kind: Any) -> None:
    letter = services.letter_issue(
        kind=TEST_KIND, context={"addressee": "甲"}, subject=subject, actor=personas.housing_officer
    )
    assert letter.issued_by == personas.housing_officer


def test_a_subject_must_be_saved(personas: Any, test_kind: Any) -> None:
    from tenderwatch.org.models import Department

    with pytest.raises(DomainError):
        services.letter_issue(
            kind=TEST_KIND, context={}, subject=Department(name="x"), actor=personas.office_clerk
        )


# -- opening --------------------------------------------------------------------------------


def test_open_is_audited_and_scoped_by_the_kinds_view_permission(personas: Any) -> None:
    # A kind whose letters only those who may see the officer's contact may open.
    registry.register(make_test_kind(code="tests.scoped", view_permission="org.officer.contact"))
    try:
        officer = make_officer("李四", personas.dept("housing"), "42110200001")
        letter = services.letter_issue(
            kind="tests.scoped",
            context={"addressee": "李四"},
            subject=officer,
            actor=personas.office_clerk,
        )
        for reader in (personas.office_clerk, personas.housing_officer, personas.auditor):
            assert services.letter_open(letter=letter, actor=reader) == services.stored_bytes(
                letter
            )
        with pytest.raises(NotFound):
            services.letter_open(letter=letter, actor=personas.transport_officer)
        opened = AuditEntry.objects.filter(action="letter.opened", object_id=str(letter.pk))
        assert sorted(opened.values_list("actor__username", flat=True)) == [
            "auditor",
            "housing_officer",
            "office_clerk",
        ]
    finally:
        registry.unregister("tests.scoped")


def test_a_changed_file_is_refused(personas: Any, subject: Any, test_kind: Any) -> None:
    letter = _issue(personas, subject)
    with letter.file.open("wb") as handle:
        handle.write(b"changed")
    with pytest.raises(DomainError) as refused:
        services.letter_open(letter=letter, actor=personas.office_clerk)
    assert refused.value.code == "letter_tampered"


# -- templates ------------------------------------------------------------------------------


def test_upload_makes_a_new_current_version(
    personas: Any, subject: Any, organ: str, test_kind: Any
) -> None:
    content = template_with(*GOOD)
    row = services.template_upload(
        kind=TEST_KIND,
        upload=SimpleUploadedFile("通知书.docx", content),
        actor=personas.office_clerk,
        note="改了正文",
    )
    assert (row.version, row.active, row.filename) == (1, True, "通知书.docx")
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    assert bytes(row.content) == content
    assert services.template_download(kind=TEST_KIND, actor=personas.auditor).version == 1
    letter = _issue(personas, subject, body="内容")
    assert letter.template_version == 1 and letter.template_sha256 == row.sha256
    assert "新版正文：内容" in texts(services.stored_bytes(letter))
    entry = AuditEntry.objects.get(action="letter_template.uploaded")
    assert entry.before == {"current_version": 0}
    assert entry.after["current_version"] == 1 and entry.note == "改了正文"


def _refusal(personas: Any, content: bytes) -> TemplateRefused:
    with pytest.raises(TemplateRefused) as refused:
        services.template_upload(kind=TEST_KIND, upload=content, actor=personas.office_clerk)
    assert not LetterTemplate.objects.exists()
    assert not AuditEntry.objects.filter(action="letter_template.uploaded").exists()
    return refused.value


def test_a_template_missing_a_required_field_is_refused_in_chinese(
    personas: Any, test_kind: Any
) -> None:
    refused = _refusal(personas, template_with("{{ office_name }}", "{{ letter_number }}"))
    assert refused.code == "template_missing_field"
    assert "缺少" in str(refused) and "{{ addressee }}" in str(refused)
    assert "{{ body }}" in str(refused)


def test_non_docx_files_are_refused(personas: Any, test_kind: Any) -> None:
    for content in (
        b"%PDF-1.7 not a template",
        zip_without_word(),
        b"",
        b"\xd0\xcf\x11\xe0",  # a Word 97-2003 .doc
        b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024),  # over the size limit
    ):
        refused = _refusal(personas, content)
        assert refused.code in {"template_not_docx", "template_empty", "template_too_big"}
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused))  # Chinese


def test_unknown_placeholders_bad_syntax_and_unsafe_code_are_refused(
    personas: Any, test_kind: Any
) -> None:
    unknown = _refusal(personas, template_with(*GOOD, "{{ secret_field }}"))
    assert unknown.code == "template_unknown_field" and "secret_field" in str(unknown)
    syntax = _refusal(personas, template_with(*GOOD, "{{ body "))
    assert syntax.code == "template_syntax"
    # The sandbox: no way from a placeholder to Python internals.
    unsafe = _refusal(personas, template_with(*GOOD, "{{ body.__class__.__mro__ }}"))
    assert unsafe.code == "template_render"


def test_template_management_is_the_offices(personas: Any, test_kind: Any) -> None:
    content = template_with(*GOOD)
    for actor in (personas.housing_officer, personas.auditor, personas.section_head):
        with pytest.raises(PermissionDenied):
            services.template_upload(kind=TEST_KIND, upload=content, actor=actor)
    services.template_upload(kind=TEST_KIND, upload=content, actor=personas.office_clerk)
    with pytest.raises(PermissionDenied):
        services.template_revert(kind=TEST_KIND, version=0, actor=personas.auditor)
    assert LetterTemplate.objects.count() == 1


def test_versions_are_kept_and_revert_switches_between_them(
    personas: Any, subject: Any, test_kind: Any
) -> None:
    v1 = template_with(*GOOD)
    v2 = template_with(*GOOD[:3], "第二版：{{ body }}", *GOOD[4:])
    clerk = personas.office_clerk
    services.template_upload(kind=TEST_KIND, upload=v1, actor=clerk)
    services.template_upload(kind=TEST_KIND, upload=v2, actor=clerk)
    assert list(services.template_versions(TEST_KIND).values_list("version", "active")) == [
        (2, True),
        (1, False),
    ]
    current = services.template_revert(kind=TEST_KIND, version=1, actor=clerk, note="第二版有误")
    assert current.version == 1 and current.content == v1
    assert "新版正文：正文。" in texts(_issue(personas, subject).file.read())
    builtin = services.template_revert(kind=TEST_KIND, version=0, actor=clerk)
    assert builtin.version == 0 and builtin.row is None
    assert _issue(personas, subject).template_version == 0
    assert LetterTemplate.objects.count() == 2  # nothing deleted
    assert [bytes(r.content) for r in LetterTemplate.objects.order_by("version")] == [v1, v2]
    with pytest.raises(DomainError):
        services.template_revert(kind=TEST_KIND, version=0, actor=clerk)  # already current
    with pytest.raises(NotFound):
        services.template_revert(kind=TEST_KIND, version=9, actor=clerk)
    reverts = AuditEntry.objects.filter(action="letter_template.reverted").order_by("seq")
    assert [(e.before, e.after) for e in reverts] == [
        ({"current_version": 2}, {"current_version": 1}),
        ({"current_version": 1}, {"current_version": 0}),
    ]
    assert reverts[0].note == "第二版有误"


def test_an_uploaded_complaint_template_is_used(personas: Any, subject: Any) -> None:
    kind = registry.get("complaints.acceptance_notice")
    document = docx.Document(io.BytesIO(services.builtin_template(kind)))
    closing = next(p for p in document.paragraphs if p.text == "特此通知。")
    closing.runs[0].text = "特此通知，请知悉。"  # as an officer edits it in Word
    out = io.BytesIO()
    document.save(out)
    edited = out.getvalue()
    services.template_upload(kind=kind.code, upload=edited, actor=personas.office_clerk)
    letter = services.letter_issue(
        kind=kind.code, context=dict(kind.sample), subject=subject, actor=personas.office_clerk
    )
    assert "特此通知，请知悉。" in texts(services.stored_bytes(letter))


# -- files no letter refers to ---------------------------------------------------------------


class _Interrupted(Exception):
    pass


def _interrupted_issue(personas: Any, subject: Any) -> str:
    """An issue whose transaction rolls back after the file was written: the file stays."""
    names = []
    with pytest.raises(_Interrupted), transaction.atomic():
        names.append(_issue(personas, subject).file.name)
        raise _Interrupted
    assert not Letter.objects.filter(file=names[0]).exists()
    return names[0]


def test_the_sweep_removes_only_old_files_no_letter_refers_to(
    personas: Any,
    subject: Any,
    organ: str,
    test_kind: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    storage = Letter._meta.get_field("file").storage
    kept = _issue(personas, subject)
    orphan = _interrupted_issue(personas, subject)
    assert storage.exists(orphan) and storage.exists(kept.file.name)
    with storage.open(orphan, "rb") as handle:
        content = handle.read()

    # Younger than a day: an issue could still be writing it.
    assert services.orphan_files() == []
    assert services.orphan_files_sweep() == []

    later = timeutil.now() + dt.timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        listed = services.orphan_files()
        assert [f.name for f in listed] == [orphan]
        assert storage.exists(orphan)  # listing removes nothing
        with django_capture_on_commit_callbacks(execute=True):
            swept = services.orphan_files_sweep()
    assert [f.name for f in swept] == [orphan]
    assert swept[0].sha256 == hashlib.sha256(content).hexdigest()
    assert not storage.exists(orphan)
    assert services.stored_bytes(kept)  # the issued letter's file is untouched
    entry = AuditEntry.objects.get(action="letter.orphan_files_removed")
    assert entry.actor is None
    assert [f["name"] for f in entry.after["files"]] == [orphan]
    assert entry.after["files"][0]["size"] == swept[0].size > 0


def test_the_sweep_command_lists_on_a_dry_run_and_removes_otherwise(
    personas: Any, subject: Any, organ: str, test_kind: Any
) -> None:
    storage = Letter._meta.get_field("file").storage
    orphan = _interrupted_issue(personas, subject)
    out = io.StringIO()
    call_command("letters", "sweep", "--older-than-hours", "0", "--dry-run", stdout=out)
    assert orphan in out.getvalue() and storage.exists(orphan)
    out = io.StringIO()
    call_command("letters", "sweep", "--older-than-hours", "0", stdout=out)
    assert orphan in out.getvalue()
    assert AuditEntry.objects.filter(action="letter.orphan_files_removed").count() == 1
