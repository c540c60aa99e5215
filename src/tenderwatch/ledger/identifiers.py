"""Identifiers of market entities: (scheme, id), with the USCC check for the Chinese scheme.

统一社会信用代码 (USCC), GB 32100-2015: 18 characters from a 31-character set (digits and
capital letters without I, O, S, V, Z); the last is a check character computed with
weights 3^i mod 31 over the first 17. Foreign identifiers (OCDS org-id schemes such as
MD-IDNO or UA-EDR) are accepted as they are.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from tenderwatch.core.errors import DomainError

USCC_SCHEME = "CN-USCC"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_WEIGHTS = [
    pow(3, i, 31) for i in range(17)
]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28


class InvalidIdentifier(DomainError):
    pass


def uscc_check_char(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    """Return the USCC in canonical form or raise InvalidIdentifier saying what is wrong."""
    code = raw.strip().upper().replace(" ", "")
    if len(code) != 18:
        raise InvalidIdentifier(
            _("A unified social credit code has 18 characters; %(code)s has %(n)d.")
            % {"code": code, "n": len(code)},
            code="uscc_length",
        )
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise InvalidIdentifier(
            _("Unified social credit code %(code)s contains characters not allowed: %(bad)s.")
            % {"code": code, "bad": "".join(bad)},
            code="uscc_charset",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier(
            _(
                "Unified social credit code %(code)s has a wrong check character: "
                "the last character should be %(expected)s (GB 32100-2015)."
            )
            % {"code": code, "expected": expected},
            code="uscc_check",
        )
    return code


def normalize_identifier(scheme: str, identifier: str) -> tuple[str, str]:
    """Canonical (scheme, id). The USCC check applies to the Chinese scheme only."""
    scheme = (scheme or USCC_SCHEME).strip().upper()
    identifier = (identifier or "").strip()
    if not identifier:
        raise InvalidIdentifier(_("The identifier is empty."), code="identifier_empty")
    if scheme == USCC_SCHEME:
        return scheme, normalize_uscc(identifier)
    return scheme, identifier


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (for generated data)."""
    return first17 + uscc_check_char(first17)
