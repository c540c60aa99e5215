"""The complaints app's calls into the letters and notifications apps (contracts.md).

Two narrow doors, so the stages do not depend on how those apps are built:

- `issue_letter(kind, matter, actor, context)` issues an official letter (文书) of a registered
  complaints kind through `tenderwatch.letters.services.letter_issue` and returns it (or None
  where the letters app is not installed: the stage goes on without a document);
- `notify(event, ...)` sends a notification through `tenderwatch.notifications.services.notify`
  (in-app to staff; e-mail and SMS to the filer through the "complaints.filer" resolver, which
  decrypts the filer's contact only at send time). Without the app it does nothing.

Both run inside the caller's transaction: a letter or a queued message exists only if the stage
it belongs to was committed.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Sequence
from typing import Any

from django.apps import apps

from tenderwatch.complaints.models import FilerKind, Kind, Matter
from tenderwatch.core import timeutil

log = logging.getLogger("tenderwatch.complaints")

FILER = "complaints.filer"
# Set once `complaints.letters.register_kinds()` has run: letters are issued only then.
_KINDS: list[bool] = []


def _module(name: str) -> Any:
    """A module of another app, or None where it is not there (yet)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def letters() -> Any:
    """`tenderwatch.letters.services`, or None without the letters app."""
    if not apps.is_installed("tenderwatch.letters"):
        return None
    return _module("tenderwatch.letters.services")


def letters_available() -> bool:
    return letters() is not None


def notifications_available() -> bool:
    if not apps.is_installed("tenderwatch.notifications"):
        return False
    try:
        from tenderwatch.notifications import services  # noqa: F401
    except ImportError:
        return False
    return True


# -- letters ----------------------------------------------------------------------------------


def day(value: dt.date | dt.datetime | None) -> str:
    """A date as Chinese documents write it: 2026年6月8日."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timeutil.china_date(value)
    return f"{value.year}年{value.month}月{value.day}日"


def common_context(matter: Matter) -> dict[str, Any]:
    """The fields every complaints letter has (contracts.md); the filer's name is the masked
    form: letters are filed and downloaded, and the identity stays sealed."""
    from tenderwatch.org.selectors import office

    the_office = office()
    project = matter.project
    return {
        "office_name": str(the_office) if the_office else "",
        "department_name": str(matter.department) if matter.department else "",
        "issued_on": day(timeutil.now()),
        "matter_number": matter.number,
        "matter_kind": "投诉" if matter.kind == Kind.COMPLAINT else "举报",
        "filer_name": matter.filer_mask if matter.filer_kind != FilerKind.ANONYMOUS else "匿名",
        "project_name": project.name if project else matter.project_text,
        "project_code": project.code if project else "",
        "subject": str(matter.get_subject_display()),
        "summary": matter.facts[:500],
    }


def issue_letter(*, kind: str, matter: Matter, actor: Any, context: dict[str, Any]) -> Any:
    """Issue a letter of `kind` about `matter`; the Letter, or None without the letters app."""
    service = letters()
    if not (_KINDS and service is not None):
        log.warning("letters not available: %s for %s not issued", kind, matter.number)
        return None
    return service.letter_issue(
        kind=kind,
        context={**common_context(matter), **context},
        subject=matter,
        actor=actor,
    )


def letter_ref(letter: Any) -> tuple[int | None, str]:
    if letter is None:
        return None, ""
    return int(letter.pk), str(getattr(letter, "number", "") or "")


def letter_of(letter_id: int | None) -> Any:
    if letter_id is None or not letters_available():
        return None
    Letter = apps.get_model("letters", "Letter")
    return Letter.objects.filter(pk=letter_id).first()


def letter_bytes(letter: Any) -> bytes:
    """The stored file of a letter, as issued (for the filer's download, checked by its hash)."""
    import hashlib

    with letter.file.open("rb") as handle:
        content = handle.read()
    if getattr(letter, "sha256", "") and hashlib.sha256(content).hexdigest() != letter.sha256:
        raise OSError(f"letter {letter.pk}: stored file does not match its hash")
    return bytes(content)


# -- notifications ------------------------------------------------------------------------------


def notify(
    *,
    event: str,
    title: str,
    body: str,
    matter: Matter,
    users: Sequence[Any] = (),
    to_filer: bool = False,
    link: str = "",
) -> list[Any]:
    """Notify staff (`users`) in the app and by e-mail, and the filer (by the sealed contact)
    by e-mail and SMS. Nothing is sent for an anonymous filer."""
    if not notifications_available():
        return []
    from django.urls import reverse

    from tenderwatch.notifications import services as notifications

    out: list[Any] = []
    people = [u for u in {getattr(u, "pk", None): u for u in users if u is not None}.values()]
    if people:
        out += notifications.notify(
            event=event,
            title=title,
            body=body,
            link=link or matter.get_absolute_url(),
            users=people,
            channels=("app", "email"),
            obj=matter,
        )
    if to_filer and matter.filer_kind != FilerKind.ANONYMOUS and matter.identity_sealed:
        out += notifications.notify(
            event=event,
            title=title,
            body=body,
            link=reverse("complaints:public_track"),
            to=[notifications.AddressRef(FILER, str(matter.pk))],
            channels=("email", "sms"),
            obj=matter,
        )
    return out


def filer_contact(key: str) -> Any:
    """The "complaints.filer" resolver: the filer's e-mail and phone, decrypted at send time."""
    from tenderwatch.complaints.identity import unseal_from
    from tenderwatch.notifications.services import Contact

    matter = Matter.objects.filter(pk=int(key)).first() if key.isdigit() else None
    if matter is None or not matter.identity_sealed:
        return Contact(email=None, phone=None)
    identity = unseal_from(matter)
    return Contact(email=identity.email or None, phone=identity.phone or None)


def register() -> None:
    """From ComplaintsConfig.ready(): the letter kinds and the filer resolver."""
    complaint_letters = _module("tenderwatch.complaints.letters")
    if complaint_letters is not None and letters_available() and not _KINDS:
        complaint_letters.register_kinds()
        _KINDS.append(True)
    if notifications_available():
        from tenderwatch.notifications import services as notifications

        notifications.register_resolver(FILER, filer_contact)
