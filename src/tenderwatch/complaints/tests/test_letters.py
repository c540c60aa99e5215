"""The six complaint letters issued about a real matter: numbered, filled in from the matter,
and opened only by those who may see the matter (complaints.view)."""

from __future__ import annotations

from typing import Any

import pytest

from tenderwatch.complaints import integrations, services
from tenderwatch.complaints.letters import kinds, register_kinds
from tenderwatch.complaints.testing import complaint_filing
from tenderwatch.core.errors import NotFound
from tenderwatch.letters import services as letters
from tenderwatch.letters.tests.helpers import east_asia_fonts_of, texts

pytestmark = pytest.mark.django_db


def test_each_kind_is_issued_about_a_matter_and_scoped_to_it(personas: Any, district: Any) -> None:
    register_kinds()
    matter = services.matter_file(
        filing=complaint_filing(), token=services.new_submission_token()
    ).matter
    assert matter.department is not None and matter.department.code == "housing"
    issued = []
    for kind in kinds():
        own = {k: v for k, v in kind.sample.items() if k not in integrations.common_context(matter)}
        letter = letters.letter_issue(
            kind=kind.code,
            context={**integrations.common_context(matter), **own},
            subject=matter,
            actor=personas.office_clerk,
        )
        issued.append(letter)
        content = letters.stored_bytes(letter)
        joined = "\n".join(texts(content))
        assert letter.number in joined
        assert matter.number in joined
        assert letter.number.startswith("黄州公管" + kind.number_prefix + "〔")
        assert letter.number.endswith("〕1号")
        if kind.code != "complaints.service_receipt":
            assert matter.filer_mask in joined
            assert east_asia_fonts_of(content, matter.number) == {"仿宋"}
    assert list(letters.letters_of(matter)) == issued[::-1]
    sample = issued[0]
    for reader in (personas.housing_officer, personas.auditor, personas.office_clerk):
        assert letters.letter_open(letter=sample, actor=reader)
    with pytest.raises(NotFound):
        letters.letter_open(letter=sample, actor=personas.transport_officer)
    with pytest.raises(NotFound):
        letters.letter_open(letter=sample, actor=personas.discipline_liaison)
