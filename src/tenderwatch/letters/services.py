"""Every write on official letters (文书), and rendering. contracts.md.

    letter_issue(kind=…, context=…, subject=…, actor=…) -> Letter   # numbered, stored, audited
    letter_open(letter=…, actor=…) -> bytes                        # checked download, audited
    letters_of(subject) -> QuerySet[Letter]
    render(kind=…, context=…) -> Rendered                          # no number, nothing stored
    template_upload / template_download / template_revert / template_versions

Numbers (文号) are `<office code><kind prefix>〔<year>〕<n>号`, n running per prefix and year with
no gap and no duplicate: the counter row is locked (select_for_update) for the transaction that
issues the letter, so a letter that fails to render or to commit gives its number back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from tenderwatch.audit import services as audit
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, NotFound
from tenderwatch.letters import registry, rendering
from tenderwatch.letters.models import Letter, LetterSequence, LetterTemplate
from tenderwatch.letters.registry import LetterKind
from tenderwatch.org.scoping import can, ensure_allowed


@dataclass(frozen=True)
class Rendered:
    content: bytes
    filename: str
    sha256: str
    template_version: int
    template_sha256: str = ""


@dataclass(frozen=True)
class TemplateFile:
    """A kind's current template: the office's latest upload, or the built-in one (version 0)."""

    kind: LetterKind
    version: int
    content: bytes
    sha256: str
    row: LetterTemplate | None = None

    @property
    def filename(self) -> str:
        label = _("template") if self.version else _("built-in template")
        return f"{self.kind.title}-{label}-v{self.version}.docx"


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def day(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


# -- numbers --------------------------------------------------------------------------------


def organ_code() -> str:
    """The issuing office's code in document numbers (机关代字), e.g. 黄州公管: the setting
    TW_LETTERS_ORGAN_CODE, or the district's name without 区/县/市 followed by 公管 (the form of
    the district's own documents: 黄州公管委发〔2023〕1号)."""
    configured = str(getattr(settings, "TW_LETTERS_ORGAN_CODE", "") or "").strip()
    if configured:
        return configured
    from tenderwatch.org.selectors import district

    found = district()
    name = found.name if found else ""
    return re.sub(r"(自治县|自治旗|区|县|市|旗)$", "", name) + "公管"


def format_number(prefix: str, year: int, serial: int) -> str:
    return f"{organ_code()}{prefix}〔{year}〕{serial}号"


def _next_serial(prefix: str, year: int) -> int:
    """The next serial for (prefix, year), under a lock held until the caller commits."""
    row = LetterSequence.objects.select_for_update().filter(prefix=prefix, year=year).first()
    if row is None:
        try:
            with transaction.atomic():
                row = LetterSequence.objects.create(prefix=prefix, year=year, last=0)
        except IntegrityError:
            row = LetterSequence.objects.select_for_update().get(prefix=prefix, year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return row.last


# -- templates ------------------------------------------------------------------------------

_BUILTIN: dict[tuple[str, int], bytes] = {}


def builtin_template(kind: LetterKind) -> bytes:
    """The kind's built-in template, built once per process (so its hash is stable)."""
    key = (kind.code, id(kind.default_template))
    if key not in _BUILTIN:
        _BUILTIN[key] = kind.default_template()
    return _BUILTIN[key]


def current_template(kind: str | LetterKind) -> TemplateFile:
    letter_kind = kind if isinstance(kind, LetterKind) else registry.get(kind)
    row = LetterTemplate.objects.filter(kind=letter_kind.code, active=True).first()
    if row is not None:
        content = bytes(row.content)
        return TemplateFile(letter_kind, row.version, content, row.sha256, row)
    content = builtin_template(letter_kind)
    return TemplateFile(letter_kind, 0, content, _sha(content))


def template_versions(kind: str) -> QuerySet[LetterTemplate]:
    return LetterTemplate.objects.filter(kind=kind).defer("content").order_by("-version")


def template_download(*, kind: str, actor: Any) -> TemplateFile:
    """The current template of `kind`, to edit in Word."""
    ensure_allowed(actor, "letters.template.view")
    return current_template(kind)


def template_version_download(*, kind: str, version: int, actor: Any) -> TemplateFile:
    """An older version (0: the built-in one), to compare or to start from."""
    ensure_allowed(actor, "letters.template.view")
    letter_kind = registry.get(kind)
    if version == 0:
        content = builtin_template(letter_kind)
        return TemplateFile(letter_kind, 0, content, _sha(content))
    row = LetterTemplate.objects.filter(kind=kind, version=version).first()
    if row is None:
        raise NotFound()
    return TemplateFile(letter_kind, row.version, bytes(row.content), row.sha256, row)


def _read(upload: Any) -> bytes:
    if isinstance(upload, bytes | bytearray | memoryview):
        return bytes(upload)
    if (getattr(upload, "size", None) or 0) > rendering.MAX_TEMPLATE_BYTES:
        raise rendering.too_big()
    if hasattr(upload, "seek"):
        upload.seek(0)
    return bytes(upload.read(rendering.MAX_TEMPLATE_BYTES + 1))


@transaction.atomic
def template_upload(
    *, kind: str, upload: Any, actor: Any, note: str = "", filename: str = ""
) -> LetterTemplate:
    """Add a new version of the kind's template and make it current, after checking it: a real
    .docx, every required placeholder used, none unknown, and a render of the kind's sample
    without error. A refused file stores nothing (TemplateRefused, in Chinese)."""
    ensure_allowed(actor, "letters.template.manage")
    letter_kind = registry.get(kind)
    content = _read(upload)
    rendering.validate(letter_kind, content)
    rows = LetterTemplate.objects.select_for_update().filter(kind=kind)
    last = max((r.version for r in rows.only("version", "kind")), default=0)
    before = rows.filter(active=True).values_list("version", flat=True).first()
    rows.filter(active=True).update(active=False)
    name = filename or str(getattr(upload, "name", "") or "")
    try:
        with transaction.atomic():
            row = LetterTemplate.objects.create(
                kind=kind,
                version=last + 1,
                content=content,
                sha256=_sha(content),
                size=len(content),
                filename=name[:200],
                uploaded_by=actor,
                uploaded_at=timeutil.now(),
                note=note[:300],
                active=True,
            )
    except IntegrityError:
        raise DomainError(
            _("Someone else uploaded this template at the same moment; reload and try again."),
            code="template_conflict",
        ) from None
    audit.record(
        actor=actor,
        action="letter_template.uploaded",
        obj=row,
        before={"current_version": before or 0},
        after={"current_version": row.version, "sha256": row.sha256, "size": row.size},
        note=note,
    )
    return row


@transaction.atomic
def template_revert(*, kind: str, version: int, actor: Any, note: str = "") -> TemplateFile:
    """Make an earlier version current again (0: the built-in template). Versions are kept."""
    ensure_allowed(actor, "letters.template.manage")
    letter_kind = registry.get(kind)
    rows = LetterTemplate.objects.select_for_update().filter(kind=kind)
    current = rows.filter(active=True).values_list("version", flat=True).first() or 0
    if version != 0 and not rows.filter(version=version).exists():
        raise NotFound()
    if version == current:
        raise DomainError(
            _("Version %(version)s is already the current template.") % {"version": version},
            code="template_already_current",
        )
    rows.filter(active=True).update(active=False)
    if version:
        rows.filter(version=version).update(active=True)
    audit.record(
        actor=actor,
        action="letter_template.reverted",
        object_type="letters.lettertemplate",
        object_id=f"{kind}:v{version}",
        object_repr=f"{letter_kind.title} v{version}",
        before={"current_version": current},
        after={"current_version": version},
        note=note,
    )
    return current_template(letter_kind)


# -- rendering and issuing ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a context value (lazy strings and dates as text)."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.date):
        return day(value)
    return str(value)


def _full_context(kind: LetterKind, context: dict[str, Any]) -> dict[str, Any]:
    full = {**kind.blank_context(), "letter_number": ""}
    full.update({k: _plain(v) for k, v in context.items()})
    if not full.get("issued_on"):
        full["issued_on"] = day(timeutil.china_date())
    return full


def render(*, kind: str, context: dict[str, Any]) -> Rendered:
    """Fill the kind's current template with `context` (missing fields are blank). Nothing is
    stored and no number is allocated: a preview, or the body of letter_issue."""
    letter_kind = registry.get(kind)
    template = current_template(letter_kind)
    full = _full_context(letter_kind, context)
    try:
        content = rendering.render_bytes(template.content, full)
    except Exception as exc:
        raise DomainError(
            _("The letter could not be produced from template version %(version)s: %(error)s")
            % {"version": template.version, "error": exc},
            code="letter_render",
        ) from exc
    number = str(full.get("letter_number") or "")
    title = chinese_title(letter_kind)
    filename = f"{title}（{number}）.docx" if number else f"{title}.docx"
    return Rendered(content, filename, _sha(content), template.version, template.sha256)


def chinese_title(kind: LetterKind) -> str:
    """The kind's title in Chinese whatever the user's language: the document is Chinese."""
    with translation.override("zh-hans"):
        return str(kind.title)


def _subject_ref(subject: Any) -> tuple[ContentType, str]:
    if not isinstance(subject, models.Model) or subject.pk is None:
        raise DomainError(_("A letter must be about a saved record."), code="letter_subject")
    return ContentType.objects.get_for_model(subject), str(subject.pk)


@transaction.atomic
def letter_issue(*, kind: str, context: dict[str, Any], subject: Any, actor: Any) -> Letter:
    """Issue a letter: allocate its number (文号), render the current template, store the
    .docx with its hash, and audit. The caller has checked the actor's right over `subject`;
    here the right to issue letters is checked."""
    letter_kind = registry.get(kind)
    ensure_allowed(actor, "letters.letter.issue")
    subject_type, subject_id = _subject_ref(subject)
    now = timeutil.now()
    year = timeutil.china_date(now).year
    serial = _next_serial(letter_kind.number_prefix, year)
    number = format_number(letter_kind.number_prefix, year, serial)
    context = {**context, "letter_number": number}
    rendered = render(kind=kind, context=context)
    letter = Letter(
        kind=kind,
        title=chinese_title(letter_kind)[:100],
        number=number,
        prefix=letter_kind.number_prefix,
        year=year,
        serial=serial,
        subject_type=subject_type,
        subject_id=subject_id,
        sha256=rendered.sha256,
        size=len(rendered.content),
        template_version=rendered.template_version,
        template_sha256=rendered.template_sha256,
        context=_full_context(letter_kind, context),
        issued_by=actor,
        issued_at=now,
    )
    # The file is written first: an interrupted issue leaves at most an unreferenced file,
    # never a row without its file.
    letter.file.save(
        f"{kind.replace('.', '-')}-{serial}-{rendered.sha256[:16]}.docx",
        ContentFile(rendered.content),
        save=False,
    )
    letter.save(force_insert=True)
    audit.record(
        actor=actor,
        action="letter.issued",
        obj=letter,
        after={
            "kind": kind,
            "number": number,
            "subject": f"{subject_type.app_label}.{subject_type.model}:{subject_id}",
            "sha256": rendered.sha256,
            "template_version": rendered.template_version,
            "template_sha256": rendered.template_sha256,
        },
    )
    return letter


# -- files no letter refers to ----------------------------------------------------------------

ORPHAN_AGE = dt.timedelta(hours=24)  # an issue in progress is never this old


@dataclass(frozen=True)
class OrphanFile:
    name: str  # the storage's name, "letters/2026/…docx"
    size: int
    sha256: str
    modified: dt.datetime


def _stored_names(storage: Any, folder: str) -> Iterator[str]:
    directories, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _stored_names(storage, f"{folder}/{directory}")


def orphan_files(*, older_than: dt.timedelta = ORPHAN_AGE) -> list[OrphanFile]:
    """Letter files no letter refers to, last written more than `older_than` ago. An issue writes
    its file before its row (a row never lacks its file), so an issue whose transaction rolled
    back leaves its file behind; these are those files."""
    storage = Letter._meta.get_field("file").storage
    if not storage.exists("letters"):
        return []
    cutoff = timeutil.now() - older_than
    referenced = set(Letter.objects.values_list("file", flat=True))
    found = []
    for name in sorted(_stored_names(storage, "letters")):
        if name in referenced:
            continue
        modified = storage.get_modified_time(name)
        if modified > cutoff:
            continue
        with storage.open(name, "rb") as handle:
            content = bytes(handle.read())
        found.append(OrphanFile(name, len(content), _sha(content), modified))
    return found


@transaction.atomic
def orphan_files_sweep(*, older_than: dt.timedelta = ORPHAN_AGE) -> list[OrphanFile]:
    """Remove the letter files no letter refers to (`orphan_files`), a system task: one audit
    entry names every file with its size and SHA-256 before any is removed, and the files go
    only once that entry is committed. A file that cannot be removed is found again next time."""
    found = orphan_files(older_than=older_than)
    if not found:
        return []
    audit.record(
        actor=None,
        action="letter.orphan_files_removed",
        object_type="letters.letter",
        object_repr=f"{len(found)} files",
        after={
            "older_than_hours": older_than.total_seconds() / 3600,
            "files": [
                {"name": f.name, "size": f.size, "sha256": f.sha256, "modified": f.modified}
                for f in found
            ],
        },
    )
    storage = Letter._meta.get_field("file").storage

    def remove() -> None:
        for orphan in found:
            storage.delete(orphan.name)

    transaction.on_commit(remove)
    return found


def letters_of(subject: Any) -> QuerySet[Letter]:
    """The letters issued about `subject`, newest first (a read: the caller scopes it)."""
    subject_type, subject_id = _subject_ref(subject)
    return Letter.objects.filter(subject_type=subject_type, subject_id=subject_id)


def may_open(actor: Any, letter: Letter) -> bool:
    if not can(actor, "letters.letter.view", letter):
        return False
    kind = registry.kinds_by_code().get(letter.kind)
    if kind is not None and kind.view_permission:
        subject = letter.subject
        return subject is not None and can(actor, kind.view_permission, subject)
    return True


def stored_bytes(letter: Letter) -> bytes:
    """The file as issued, checked against its hash."""
    with letter.file.open("rb") as handle:
        content = bytes(handle.read())
    if _sha(content) != letter.sha256:
        raise DomainError(
            _(
                "The stored file of %(number)s does not match its fingerprint; tell the "
                "administrator."
            )
            % {"number": letter.number},
            code="letter_tampered",
        )
    return content


@transaction.atomic
def letter_open(*, letter: Letter, actor: Any) -> bytes:
    """The issued .docx for a staff download: checked (who may not see the subject gets "not
    found"), verified against its hash, and audited."""
    if not may_open(actor, letter):
        raise NotFound()
    content = stored_bytes(letter)
    audit.record(actor=actor, action="letter.opened", obj=letter)
    return content


def render_pdf(letter: Letter, *, actor: Any) -> bytes | None:
    """The letter as PDF through LibreOffice (headless), or None where it is not installed."""
    from tenderwatch.letters import pdf

    if not pdf.available():
        return None
    return pdf.convert(letter_open(letter=letter, actor=actor))
