"""SM4-GCM and SM3 against their published test vectors; sealing bound to its record; key
rotation; the blind index is keyed."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tenderwatch.complaints import crypto
from tenderwatch.complaints.crypto import IdentityUnreadable, Sealed
from tenderwatch.complaints.identity import Identity, mask_for, seal_onto, unseal_from
from tenderwatch.complaints.models import FilerKind, Kind, Matter


def test_sm4_gcm_matches_rfc_8998_appendix_a1() -> None:
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    sealed = crypto.sm4_gcm_encrypt(key, nonce, plaintext, aad)
    assert sealed[:-16].hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert sealed[-16:].hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
    assert crypto.sm4_gcm_decrypt(key, nonce, sealed, aad) == plaintext
    tampered = bytes([sealed[0] ^ 1]) + sealed[1:]
    with pytest.raises(IdentityUnreadable):
        crypto.sm4_gcm_decrypt(key, nonce, tampered, aad)
    with pytest.raises(IdentityUnreadable):
        crypto.sm4_gcm_decrypt(key, nonce, sealed, aad + b"x")


def test_sm3_matches_gb_t_32905_example() -> None:
    assert crypto.sm3_available()
    assert hashlib.new("sm3", b"abc").hexdigest() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def _matter(number: str, kind: str = Kind.COMPLAINT) -> Matter:
    return Matter(number=number, kind=kind, filer_kind=FilerKind.PERSON)


def test_identity_is_sealed_to_its_record(settings: Any) -> None:
    person = Identity(name="陈志远", id_number="42110219880512031x", phone="138 7123 4567")
    first = _matter("TS-2026-000001")
    seal_onto(first, person)
    assert first.identity_key_id == "t1"
    assert "陈志远" not in first.identity_sealed and "138" not in first.identity_sealed
    assert first.filer_mask == "陈**"
    assert first.identity_given == {
        "name": True,
        "id_number": True,
        "contact": True,
        "address": False,
    }
    assert unseal_from(first) == person
    # The same ciphertext on another record does not open (the number is bound in).
    other = _matter("TS-2026-000002")
    other.identity_key_id, other.identity_nonce, other.identity_sealed = (
        first.identity_key_id,
        first.identity_nonce,
        first.identity_sealed,
    )
    with pytest.raises(IdentityUnreadable):
        unseal_from(other)
    # Two sealings of the same identity differ (fresh nonce).
    again = _matter("TS-2026-000001")
    seal_onto(again, person)
    assert again.identity_sealed != first.identity_sealed


def test_old_keys_stay_readable_and_unknown_ones_say_so(settings: Any) -> None:
    matter = _matter("JB-2026-000001", Kind.TIP_OFF)
    seal_onto(matter, Identity(name="匿名者", phone="13900001111"))
    assert matter.filer_mask == "举报人（身份保护）"
    settings.TW_COMPLAINTS_ACTIVE_KEY_ID = "t2"
    assert unseal_from(matter).name == "匿名者"  # sealed under t1, still in the keyring
    settings.TW_COMPLAINTS_KEYRING = {"t2": settings.TW_COMPLAINTS_KEYRING["t2"]}
    with pytest.raises(IdentityUnreadable, match="t1"):
        unseal_from(matter)


def test_blind_index_is_normalised_and_keyed(settings: Any) -> None:
    a = crypto.blind_index("id", crypto.normalise("42110219880512031x"))
    b = crypto.blind_index("id", crypto.normalise(" 421102 19880512 031X "))
    assert a == b and a.startswith("id:") and "421102" not in a
    assert crypto.blind_index("phone", crypto.normalise_phone("+86 138-7123-4567")) == (
        crypto.blind_index("phone", "13871234567")
    )
    settings.TW_COMPLAINTS_HMAC_KEY = "aa" * 32
    assert crypto.blind_index("id", crypto.normalise("42110219880512031X")) != a


def test_tracking_codes_are_derived_and_typeable() -> None:
    code = crypto.tracking_code("token-1")
    assert len(code) == 12 and set(code) <= set(crypto.CODE_ALPHABET)
    assert crypto.tracking_code("token-1") == code != crypto.tracking_code("token-2")
    spoken = crypto.format_code(code).lower().replace("0", "o")
    assert crypto.normalise_code(spoken) == code


def test_tracking_code_hash_is_keyed_and_older_hashes_still_verify(settings: Any) -> None:
    from django.contrib.auth.hashers import make_password

    code = crypto.tracking_code("token-1")
    stored = crypto.tracking_code_hash(code)
    assert stored.startswith("hmac-sm3$") and code not in stored
    typed = crypto.format_code(code).lower()
    assert crypto.tracking_code_matches(typed, stored)
    assert not crypto.tracking_code_matches(crypto.tracking_code("token-2"), stored)
    # A filing stored before the keyed hash kept Django's password hash: still accepted.
    legacy = make_password(code)
    assert crypto.tracking_code_matches(typed, legacy)
    assert not crypto.tracking_code_matches(crypto.tracking_code("token-2"), legacy)
    # Without the key, nobody can test a code against the stored value.
    settings.TW_COMPLAINTS_HMAC_KEY = "aa" * 32
    assert not crypto.tracking_code_matches(code, stored)


def test_masks_never_show_an_informant() -> None:
    person = Identity(name="欧阳明", phone="13871234567")
    assert mask_for(person, filer_kind=FilerKind.PERSON, kind=Kind.COMPLAINT) == "欧**"
    assert mask_for(person, filer_kind=FilerKind.PERSON, kind=Kind.TIP_OFF) == "举报人（身份保护）"
    company = Identity(name="湖北鸿达建设工程有限公司")
    assert mask_for(company, filer_kind=FilerKind.ENTITY, kind=Kind.COMPLAINT) == "湖北**公司"
    assert mask_for(Identity(), filer_kind=FilerKind.ANONYMOUS, kind=Kind.TIP_OFF) == "匿名"


def test_sealed_dataclass_round_trip() -> None:
    sealed = crypto.seal(b"x", aad=b"a")
    assert isinstance(sealed, Sealed)
    assert crypto.unseal(sealed, aad=b"a") == b"x"
