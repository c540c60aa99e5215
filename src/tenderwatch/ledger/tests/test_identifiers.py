"""统一社会信用代码 (GB 32100-2015) and foreign identifier schemes (DESIGN.md "Identifiers")."""

from __future__ import annotations

import pytest
from django.utils import translation

from tenderwatch.core.errors import DomainError
from tenderwatch.ledger.identifiers import (
    USCC_SCHEME,
    InvalidIdentifier,
    make_uscc,
    normalize_identifier,
    normalize_uscc,
    uscc_check_char,
)

# The worked example of GB 32100-2015 (appendix): 91350100M000100Y4 + check character 3.
STANDARD_EXAMPLE = "91350100M000100Y43"


def test_the_standards_example_is_accepted() -> None:
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert normalize_uscc(STANDARD_EXAMPLE) == STANDARD_EXAMPLE


def test_lower_case_and_spaces_are_normalised() -> None:
    assert normalize_identifier("cn-uscc", " 91350100m000100y4 3 ") == (
        USCC_SCHEME,
        STANDARD_EXAMPLE,
    )


def test_a_letter_check_character_is_computed() -> None:
    code = make_uscc("91110000600037341")
    assert code[-1] == "L"
    assert normalize_uscc(code) == code


def test_wrong_check_character_is_refused_naming_the_right_one() -> None:
    with translation.override("en"), pytest.raises(InvalidIdentifier) as caught:
        normalize_uscc("91350100M000100Y44")
    assert caught.value.code == "uscc_check"
    assert "wrong check character" in str(caught.value)
    assert "should be 3" in str(caught.value)
    assert isinstance(caught.value, DomainError)


def test_wrong_check_character_message_in_chinese() -> None:
    with translation.override("zh-hans"), pytest.raises(InvalidIdentifier) as caught:
        normalize_uscc("91350100M000100Y44")
    message = str(caught.value)
    assert "校验码" in message
    assert "3" in message


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", ""])
def test_wrong_length_is_refused(code: str) -> None:
    with translation.override("en"), pytest.raises(InvalidIdentifier) as caught:
        normalize_identifier(USCC_SCHEME, code)
    assert caught.value.code in {"uscc_length", "identifier_empty"}


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_the_standard_leaves_out_are_refused(letter: str) -> None:
    code = "91350100M000100Y4"[:-1] + letter + "3"
    with translation.override("en"), pytest.raises(InvalidIdentifier) as caught:
        normalize_uscc(code)
    assert caught.value.code == "uscc_charset"
    assert letter in str(caught.value)


@pytest.mark.parametrize(
    ("scheme", "identifier"),
    [("MD-IDNO", "1003600012345"), ("UA-EDR", "00032129"), ("GB-COH", "SC123456")],
)
def test_foreign_schemes_are_taken_as_they_are(scheme: str, identifier: str) -> None:
    # No USCC check: these would fail it (length, letters), and must not.
    assert normalize_identifier(scheme.lower(), f" {identifier} ") == (scheme, identifier)
