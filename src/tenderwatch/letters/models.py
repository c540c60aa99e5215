"""Letter templates (versions of the office's Word templates) and issued letters (文书).

Templates are stored in the database (`content`, bytes): they are few and small (tens of KB), each
version is kept for good, and storing them with their row makes an upload atomic with its audit
entry (nothing half-stored on failure) and the same on every web process without shared disk.
Issued letters are many (a province issues tens of thousands a year), so their .docx goes to
`MEDIA_ROOT/letters/<year>/…` (outside the web root; downloads go through a view that checks
rights) with its SHA-256 on the row, checked when the file is opened.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LetterTemplate(models.Model):
    """One uploaded version of a kind's template. Rows are never changed except the `active`
    flag: an upload adds version n+1 and makes it current; a revert makes an older one (or, with
    none active, the built-in default, "version 0") current again."""

    kind = models.CharField(_("letter kind"), max_length=80)
    version = models.PositiveIntegerField(_("version"))
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    active = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="letters_template_version"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(active=True), name="letters_template_one_active"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="letters_template_v1"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"


class LetterSequence(models.Model):
    """The last serial issued per number prefix and year (黄州公管投诉受〔2026〕12号 → 12)."""

    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="letters_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.last}"


def letter_path(instance: Letter, filename: str) -> str:
    return f"letters/{instance.year}/{filename}"


class Letter(models.Model):
    """An issued letter: its number, the exact .docx issued, and what it was made from."""

    kind = models.CharField(_("letter kind"), max_length=80, db_index=True)
    title = models.CharField(_("title"), max_length=100)
    number = models.CharField(_("document number"), max_length=80, unique=True)
    prefix = models.CharField(_("number prefix"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    serial = models.PositiveIntegerField(_("serial"))
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.CharField(_("subject id"), max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    file = models.FileField(_("file"), upload_to=letter_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    template_version = models.PositiveIntegerField(
        _("template version"), help_text=_("0 is the built-in template.")
    )
    template_sha256 = models.CharField(_("template SHA-256"), max_length=64)
    context = models.JSONField(_("content fields"), default=dict)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="letters_subject")]
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "year", "serial"], name="letters_letter_serial"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

    @property
    def download_name(self) -> str:
        return f"{self.title}（{self.number}）.docx"
