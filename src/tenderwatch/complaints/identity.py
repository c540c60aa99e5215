"""A filer's identity: what is sealed, how it is masked, how duplicates are found.

The identity (name, ID number or USCC, contact person, telephone, e-mail, address) is sealed as
one JSON object with SM4-GCM (`crypto`). In the clear the record keeps only:

- `filer_mask`: what lists, exports and anything outside the entitled roles show. A complainant
  shows as a surname and stars ("王**") or an organisation's first and last characters
  ("湖北**公司"); an informant shows as "举报人（身份保护）" whatever they gave: even a surname can
  identify someone in a district.
- `identity_given`: which parts were given, not what they are (for the CP-05 content check).
- two keyed blind indexes (HMAC-SM3): of the ID number / USCC, and of the telephone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenderwatch.complaints import crypto
from tenderwatch.complaints.crypto import Sealed
from tenderwatch.complaints.models import FilerKind, Kind, Matter


@dataclass(frozen=True)
class Identity:
    name: str = ""
    id_number: str = ""  # 居民身份证号码, or 统一社会信用代码 for an organisation
    contact_person: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Identity:
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v or "").strip() for k, v in data.items() if k in names})

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def empty(self) -> bool:
        return not any(self.as_dict().values())

    def given(self) -> dict[str, bool]:
        return {
            "name": bool(self.name),
            "id_number": bool(self.id_number),
            "contact": bool(self.phone or self.email),
            "address": bool(self.address),
        }


LABELS = {
    "name": pgettext_lazy("identity", "Name"),
    "id_number": gettext_lazy("ID number or unified social credit code"),
    "contact_person": gettext_lazy("Contact person"),
    "phone": gettext_lazy("Telephone"),
    "email": gettext_lazy("E-mail"),
    "address": gettext_lazy("Address"),
}


def mask_name(name: str, filer_kind: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if filer_kind == FilerKind.ENTITY and len(name) > 4:
        return name[:2] + "**" + name[-2:]
    return name[0] + "*" * max(1, min(len(name) - 1, 3))


def mask_phone(phone: str) -> str:
    digits = crypto.normalise_phone(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask_for(identity: Identity, *, filer_kind: str, kind: str) -> str:
    """The only form of the filer that leaves the entitled roles."""
    if filer_kind == FilerKind.ANONYMOUS or identity.empty:
        return _("Anonymous")
    if kind == Kind.TIP_OFF:
        return _("Informant (identity protected)")
    return mask_name(identity.name, filer_kind) or _("(not given)")


def indexes(identity: Identity) -> tuple[str, str]:
    """(filer index, contact index): keyed blind indexes of the ID number and the telephone."""
    id_value = crypto.normalise(identity.id_number)
    phone = crypto.normalise_phone(identity.phone)
    return crypto.blind_index("id", id_value), crypto.blind_index("phone", phone)


def seal_onto(matter: Matter, identity: Identity) -> None:
    """Seal `identity` onto `matter` (its number must be set: it is part of the binding)."""
    assert matter.number, "the number binds the sealed identity to its record"
    if identity.empty:
        matter.identity_key_id = matter.identity_nonce = matter.identity_sealed = ""
    else:
        sealed = crypto.seal_json(identity.as_dict(), aad=matter.aad)
        matter.identity_key_id = sealed.key_id
        matter.identity_nonce = sealed.nonce
        matter.identity_sealed = sealed.data
    matter.identity_given = identity.given()
    matter.filer_index, matter.contact_index = indexes(identity)
    matter.filer_mask = mask_for(identity, filer_kind=matter.filer_kind, kind=matter.kind)


def unseal_from(matter: Matter) -> Identity:
    """The identity in the clear. Callers check the right to see it and audit the view."""
    if not matter.identity_sealed:
        return Identity()
    sealed = Sealed(matter.identity_key_id, matter.identity_nonce, matter.identity_sealed)
    return Identity.from_dict(crypto.unseal_json(sealed, aad=matter.aad))
