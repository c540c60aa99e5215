"""Rendering a Word template with docxtpl, and checking an uploaded one.

Templates are Jinja inside Word (`{{ office_name }}`, `{%p for item in items %}`). They are
uploaded by office staff, so they run in Jinja's sandbox (no attribute tricks reach Python
internals), values are XML-escaped (a `<` or `&` in a complainant's text cannot break the
document), and an unknown name is an error rather than a silent blank.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from tenderwatch.core.errors import DomainError
from tenderwatch.letters.registry import AUTOMATIC_FIELDS, LetterKind

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN = "ms-word.document.macroEnabled"


class TemplateRefused(DomainError):
    """An uploaded template that cannot be used; the message says why (in Chinese)."""

    def __init__(self, message: Any, *, code: str = "template_refused", details: Any = None):
        super().__init__(message, code=code, details=details)


def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def too_big() -> TemplateRefused:
    return TemplateRefused(
        _("The file is larger than %(mb)s MB; a letter template is much smaller.")
        % {"mb": MAX_TEMPLATE_BYTES // (1024 * 1024)},
        code="template_too_big",
    )


def check_docx(content: bytes) -> None:
    """Refuse what is not a Word .docx document (a .doc, a macro document, a renamed file)."""
    if not content:
        raise TemplateRefused(_("The file is empty."), code="template_empty")
    if len(content) > MAX_TEMPLATE_BYTES:
        raise too_big()
    not_docx = TemplateRefused(
        _(
            "The file is not a Word document in .docx format. Open it in Word (or WPS) and save "
            "it as “Word document (*.docx)”, then upload it again."
        ),
        code="template_not_docx",
    )
    if not content.startswith(b"PK\x03\x04"):
        raise not_docx
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise not_docx
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                raise not_docx
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        raise not_docx from None
    if MACRO_MAIN in types:
        raise TemplateRefused(
            _("The file is a Word document with macros (.docm); save it as a plain .docx."),
            code="template_macros",
        )
    if WORD_MAIN not in types:
        raise not_docx


def variables(content: bytes) -> set[str]:
    """The names the template uses (loop variables excluded)."""
    try:
        template = DocxTemplate(io.BytesIO(content))
        return set(template.get_undeclared_template_variables(environment()))
    except TemplateError as exc:
        raise TemplateRefused(
            _(
                "The placeholders in the template are malformed: %(error)s. Check that every "
                "“{{” has its “}}” and every “{%%” its “%%}”, and that Word did not replace "
                "straight quotes with curly ones inside them."
            )
            % {"error": exc},
            code="template_syntax",
        ) from None
    except Exception as exc:  # python-docx on a damaged document
        raise TemplateRefused(
            _("Word could not be read from the file: %(error)s.") % {"error": exc},
            code="template_unreadable",
        ) from None


def render_bytes(content: bytes, context: Mapping[str, Any]) -> bytes:
    template = DocxTemplate(io.BytesIO(content))
    template.render(dict(context), jinja_env=environment(), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def validate(kind: LetterKind, content: bytes) -> None:
    """Everything an upload must pass: a real .docx, placeholders well formed, every required
    field used, no unknown name, and a render of the kind's sample without error."""
    check_docx(content)
    used = variables(content)
    allowed = set(kind.fields) | set(AUTOMATIC_FIELDS)
    unknown = sorted(used - allowed)
    if unknown:
        raise TemplateRefused(
            _(
                "The template uses placeholders that this kind of letter does not have: "
                "%(names)s. The placeholders it may use are listed on the template page."
            )
            % {"names": "、".join(f"{{{{ {n} }}}}" for n in unknown)},
            code="template_unknown_field",
            details={"unknown": unknown},
        )
    missing = [f for f in kind.required_fields if f not in used]
    if missing:
        raise TemplateRefused(
            _(
                "The template lacks required placeholders: %(names)s. Each must appear in the "
                "document (type it exactly, with the double braces)."
            )
            % {"names": "、".join(f"{{{{ {n} }}}}" for n in missing)},
            code="template_missing_field",
            details={"missing": missing},
        )
    sample = {**kind.blank_context(), **dict(kind.sample), "letter_number": "示例〔2026〕1号"}
    try:
        render_bytes(content, sample)
    except Exception as exc:
        raise TemplateRefused(
            _("The template could not be filled in with the sample content: %(error)s.")
            % {"error": exc},
            code="template_render",
        ) from None
