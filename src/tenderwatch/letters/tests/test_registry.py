"""The registry of letter kinds."""

from __future__ import annotations

import pytest

from tenderwatch.complaints.letters import kinds, register_kinds
from tenderwatch.core.errors import NotFound
from tenderwatch.letters import registry
from tenderwatch.letters.tests.conftest import make_test_kind


def test_the_six_complaint_kinds_are_registered_once() -> None:
    register_kinds()
    register_kinds()  # idempotent
    codes = {k.code for k in registry.kinds()}
    assert {
        "complaints.acceptance_notice",
        "complaints.non_acceptance_notice",
        "complaints.supplement_request",
        "complaints.transfer_letter",
        "complaints.handling_decision",
        "complaints.service_receipt",
    } <= codes
    prefixes = [k.number_prefix for k in kinds()]
    assert len(set(prefixes)) == 6  # each kind numbers on its own
    assert registry.get("complaints.acceptance_notice").title == "受理通知书"


def test_a_different_kind_under_a_taken_code_is_refused() -> None:
    registry.register(make_test_kind())
    try:
        registry.register(make_test_kind())  # the same: no-op
        with pytest.raises(RuntimeError):
            registry.register(make_test_kind(number_prefix="别"))
    finally:
        registry.unregister("tests.notice")
    with pytest.raises(NotFound):
        registry.get("tests.notice")


def test_a_kind_must_be_consistent() -> None:
    with pytest.raises(ValueError, match="sample lacks"):
        make_test_kind(sample={"office_name": "x"})
    with pytest.raises(ValueError, match="not in fields"):
        make_test_kind(required=("nothing",))
    with pytest.raises(ValueError, match="number prefix"):
        make_test_kind(number_prefix="〔")
