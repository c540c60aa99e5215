"""The kinds of official letter (文书) the system issues, registered by the apps that issue them.

A consuming app registers its kinds in its `AppConfig.ready()` (contracts.md):

    from tenderwatch.letters.registry import LetterKind, register
    register(LetterKind(code="complaints.acceptance_notice", title=_("受理通知书"), fields=(...),
                        sample={...}, number_prefix="投诉受", default_template=build_docx))

`fields` are the names a template may use (`{{ office_name }}`); `required` those every uploaded
template must use (all fields when not given); `sample` a complete context used to test-render
an uploaded template; `number_prefix` the part of the document number (文号) between the office's
code and the year: 黄州公管 + 投诉受 + 〔2026〕 + 12号; numbers run per prefix and year.
`default_template` builds the built-in template (.docx bytes) used until the office uploads one.
`view_permission`, where given, is checked against the letter's subject before anyone opens an
issued letter (e.g. "complaints.view": who may not see the matter may not see its letters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tenderwatch.core.errors import NotFound

# Filled in by letter_issue; a template may use them although callers do not pass them.
AUTOMATIC_FIELDS = ("letter_number",)


@dataclass(frozen=True, eq=False)
class LetterKind:
    code: str
    title: Any  # a (lazy) translated string
    fields: tuple[str, ...]
    sample: Mapping[str, Any]
    number_prefix: str
    default_template: Callable[[], bytes]
    required: tuple[str, ...] | None = None
    view_permission: str = ""
    field_help: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.code or "." not in self.code:
            raise ValueError(f"letter kind code {self.code!r} must be '<app>.<name>'")
        if not self.number_prefix or any(ch in self.number_prefix for ch in "〔〕 /"):
            raise ValueError(f"letter kind {self.code}: bad number prefix {self.number_prefix!r}")
        unknown = set(self.required_fields) - set(self.fields)
        if unknown:
            raise ValueError(f"letter kind {self.code}: required {sorted(unknown)} not in fields")
        missing = set(self.fields) - set(self.sample)
        if missing:
            raise ValueError(f"letter kind {self.code}: sample lacks {sorted(missing)}")

    @property
    def required_fields(self) -> tuple[str, ...]:
        return self.fields if self.required is None else self.required

    def blank_context(self) -> dict[str, Any]:
        """Every field present: lists empty, others the empty string."""
        return {f: [] if isinstance(self.sample.get(f), list) else "" for f in self.fields}

    def _key(self) -> tuple[Any, ...]:
        return (
            self.code,
            str(self.title),
            self.fields,
            dict(self.sample),
            self.number_prefix,
            self.default_template,
            self.required,
            self.view_permission,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LetterKind) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self.code)


_KINDS: dict[str, LetterKind] = {}


def register(kind: LetterKind) -> LetterKind:
    """Register `kind`; registering the same kind again is a no-op, a different one under the
    same code is an error (two apps would otherwise fight over one code)."""
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise RuntimeError(f"letter kind {kind.code!r} is registered twice, differently")
    _KINDS[kind.code] = kind
    return kind


def unregister(code: str) -> None:
    """For tests that register a kind of their own."""
    _KINDS.pop(code, None)


def get(code: str) -> LetterKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise NotFound(_("There is no letter kind “%(code)s”.") % {"code": code}) from None


def is_registered(code: str) -> bool:
    return code in _KINDS


def kinds() -> list[LetterKind]:
    return sorted(_KINDS.values(), key=lambda k: k.code)


def kinds_by_code() -> dict[str, LetterKind]:
    return dict(_KINDS)
