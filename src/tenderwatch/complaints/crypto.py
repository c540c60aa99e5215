"""Informant protection: sealing identities with SM4-GCM, keyed blind indexes with HMAC-SM3.

- **Sealing.** SM4 (GB/T 32907) in GCM mode through `cryptography` (tested against RFC 8998
  Appendix A.1 in tests/test_crypto.py; `cryptography` 50 with its bundled OpenSSL supports
  SM4-GCM). A fresh 96-bit nonce per sealing; the 128-bit tag is appended to the ciphertext; the
  associated data binds a sealed identity to its record (`Matter.aad`), so a ciphertext copied
  onto another record does not open. Every record carries the id of its key; keys come from
  settings (`TW_COMPLAINTS_KEYRING`: id → 32 hex digits), and records sealed under an old id
  stay readable until `tenderwatch complaints rekey` reseals them under the active one.
- **Blind indexes.** HMAC-SM3 (GB/T 32905, `hashlib` "sm3") of a normalised identifier under a
  key derived from `TW_COMPLAINTS_HMAC_KEY`, so the same ID number or phone finds its earlier
  filings without storing either in the clear; without the key the index reveals nothing.
- **Tracking codes.** A filing's 查询码 is derived from its server-signed submission token
  (HMAC-SM3 under another derived key): a retry with the same token shows the same code, while
  only a slow salted hash of the code is stored (Django's password hasher).

Purpose keys are derived by HMAC-SM3(master, "tenderwatch/complaints/<purpose>"), so the blind
index key and the tracking-code key are independent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from tenderwatch.core.errors import DomainError

ALGORITHM = "SM4-GCM"
NONCE_BYTES = 12
TAG_BYTES = 16
# Crockford's base32: no I, L, O or U, so a code read out on the telephone is not misheard.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits


class IdentityUnreadable(DomainError):
    """A sealed identity cannot be opened: unknown key id, wrong key, or altered data."""

    http_status = 500


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: str  # base64
    data: str  # base64 of ciphertext || tag


def _hex_key(value: str, *, name: str, min_bytes: int, exact: bool = False) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} is not hexadecimal") from None
    if (exact and len(key) != min_bytes) or len(key) < min_bytes:
        raise ImproperlyConfigured(
            f"{name} must be {'exactly' if exact else 'at least'} {min_bytes * 2} hex digits"
        )
    return key


def keyring() -> dict[str, bytes]:
    ring = getattr(settings, "TW_COMPLAINTS_KEYRING", {}) or {}
    if not ring:
        raise ImproperlyConfigured("TW_COMPLAINTS_KEYRING is empty: set TW_COMPLAINTS_KEYS")
    return {
        str(key_id): _hex_key(str(key), name=f"key {key_id}", min_bytes=16, exact=True)
        for key_id, key in ring.items()
    }


def active_key_id() -> str:
    key_id = str(getattr(settings, "TW_COMPLAINTS_ACTIVE_KEY_ID", "") or "")
    if key_id not in keyring():
        raise ImproperlyConfigured(
            f"TW_COMPLAINTS_ACTIVE_KEY_ID {key_id!r} is not a key id of TW_COMPLAINTS_KEYS"
        )
    return key_id


def _cipher(key: bytes, nonce: bytes, tag: bytes | None = None) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.SM4(key), modes.GCM(nonce, tag))


def sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Ciphertext || 16-byte tag."""
    encryptor = _cipher(key, nonce).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return bytes(body + encryptor.tag)


def sm4_gcm_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag

    body, tag = data[:-TAG_BYTES], data[-TAG_BYTES:]
    decryptor = _cipher(key, nonce, tag).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return bytes(decryptor.update(body) + decryptor.finalize())
    except InvalidTag:
        raise IdentityUnreadable(
            _("The protected identity failed its integrity check and cannot be shown."),
            code="identity_unreadable",
        ) from None


def seal(plaintext: bytes, *, aad: bytes, key_id: str | None = None) -> Sealed:
    key_id = key_id or active_key_id()
    key = keyring()[key_id]
    nonce = os.urandom(NONCE_BYTES)
    data = sm4_gcm_encrypt(key, nonce, plaintext, aad)
    return Sealed(key_id, base64.b64encode(nonce).decode(), base64.b64encode(data).decode())


def unseal(sealed: Sealed, *, aad: bytes) -> bytes:
    key = keyring().get(sealed.key_id)
    if key is None:
        raise IdentityUnreadable(
            _("The key “%(key)s” of this protected identity is not configured.")
            % {"key": sealed.key_id},
            code="identity_key_missing",
        )
    return sm4_gcm_decrypt(key, base64.b64decode(sealed.nonce), base64.b64decode(sealed.data), aad)


def seal_json(value: dict[str, Any], *, aad: bytes, key_id: str | None = None) -> Sealed:
    raw = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    return seal(raw, aad=aad, key_id=key_id)


def unseal_json(sealed: Sealed, *, aad: bytes) -> dict[str, Any]:
    value = json.loads(unseal(sealed, aad=aad).decode())
    return value if isinstance(value, dict) else {}


# -- keyed hashes ----------------------------------------------------------------------------


def _master() -> bytes:
    value = str(getattr(settings, "TW_COMPLAINTS_HMAC_KEY", "") or "")
    if not value:
        raise ImproperlyConfigured("TW_COMPLAINTS_HMAC_KEY is not set")
    return _hex_key(value, name="TW_COMPLAINTS_HMAC_KEY", min_bytes=16)


def derived_key(purpose: str) -> bytes:
    return hmac.new(_master(), f"tenderwatch/complaints/{purpose}".encode(), "sm3").digest()


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, "sm3").digest()


def sm3_available() -> bool:
    return "sm3" in hashlib.algorithms_available


def normalise(value: str) -> str:
    """Full-width to half-width, no spaces or dashes, upper case (ID numbers end in X)."""
    text = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-_·.()（）]", "", text).upper()


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value or ""))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def blind_index(scheme: str, value: str) -> str:
    """ "scheme:hex" of HMAC-SM3 over the normalised value; "" for an empty value."""
    if not value:
        return ""
    digest = hmac_sm3(derived_key("blind-index"), f"{scheme}\x00{value}".encode())
    return f"{scheme}:{digest.hex()[:64]}"


def tracking_code(token: str) -> str:
    """The 查询码 of the filing made with `token`: 12 characters of Crockford base32."""
    digest = int.from_bytes(hmac_sm3(derived_key("tracking-code"), token.encode()), "big")
    chars = []
    for _i in range(CODE_LENGTH):
        digest, rest = divmod(digest, 32)
        chars.append(CODE_ALPHABET[rest])
    return "".join(chars)


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(value: str) -> str:
    """What a person typed, as a code: case, spaces and dashes ignored; O→0, I/L→1."""
    text = unicodedata.normalize("NFKC", value or "").upper()
    text = re.sub(r"[\s\-]", "", text)
    return text.translate(str.maketrans("OIL", "011"))


CODE_HASH_SCHEME = "hmac-sm3"


def tracking_code_hash(code: str) -> str:
    """What the database keeps of a 查询码: its keyed HMAC-SM3 under a key that never enters the
    database. The code is 60 random bits, so a slow password hash adds nothing against a stolen
    database (without the key no code can be tested) and cost each filing ~0.4 s of CPU."""
    digest = hmac_sm3(derived_key("tracking-code-check"), normalise_code(code).encode())
    return f"{CODE_HASH_SCHEME}${digest.hex()}"


def tracking_code_matches(code: str, stored: str) -> bool:
    """Whether `code` (as typed) is the one `stored` was made from; filings stored before the
    keyed hash keep Django's password hash and are checked with it."""
    if stored.startswith(f"{CODE_HASH_SCHEME}$"):
        return hmac.compare_digest(tracking_code_hash(code), stored)
    from django.contrib.auth.hashers import check_password

    return check_password(normalise_code(code), stored)


def normalise_number(value: str) -> str:
    """A 受理编号 as typed: case, spaces and full-width characters ignored; dashes optional."""
    text = re.sub(r"[\s\-—－_]", "", unicodedata.normalize("NFKC", value or "")).upper()
    found = re.fullmatch(r"([A-Z]{2})(\d{4})(\d{6})", text)
    return f"{found[1]}-{found[2]}-{found[3]}" if found else text[:40]


def submission_key(token: str) -> str:
    """What the database keeps of a submission token: its keyed hash (the token stays secret)."""
    return hmac_sm3(derived_key("submission"), token.encode()).hex()
