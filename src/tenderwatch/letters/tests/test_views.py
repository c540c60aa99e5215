"""The template pages and the letter download, through Django's client."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tenderwatch.audit.models import AuditEntry
from tenderwatch.letters import registry, services
from tenderwatch.letters.models import LetterTemplate
from tenderwatch.letters.tests.conftest import TEST_KIND, make_test_kind
from tenderwatch.letters.tests.helpers import template_with, texts
from tenderwatch.org.testing import make_officer

pytestmark = pytest.mark.django_db

GOOD = ("{{ office_name }}", "{{ letter_number }}", "{{ addressee }}", "网页上传：{{ body }}")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_template_list_and_detail(personas: Any, test_kind: Any) -> None:
    client = _client(personas.housing_officer)
    page = client.get(reverse("letters:templates"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "受理通知书" in html and "不予受理告知书" in html and "送达回证" in html
    assert reverse("letters:template_download", args=["complaints.acceptance_notice"]) in html
    detail = client.get(reverse("letters:template_detail", args=["complaints.acceptance_notice"]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "{{ conclusion_due }}" in body and "{{ letter_number }}" in body
    assert "上传新版本" not in body  # a department officer may not upload
    clerk_page = _client(personas.office_clerk).get(
        reverse("letters:template_detail", args=["complaints.acceptance_notice"])
    )
    assert "上传新版本" in clerk_page.content.decode()
    assert client.get(reverse("letters:template_detail", args=["no.such"])).status_code == 404


def test_the_nav_shows_templates_to_staff(personas: Any) -> None:
    html = _client(personas.office_clerk).get("/").content.decode()
    assert reverse("letters:templates") in html


def test_download_the_current_template(personas: Any, test_kind: Any) -> None:
    response = _client(personas.office_clerk).get(
        reverse("letters:template_download", args=["complaints.acceptance_notice"])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert quote("受理通知书") in response["Content-Disposition"]
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert "{{ letter_number }}" in texts(content)


def test_upload_a_new_version_through_the_page(personas: Any, test_kind: Any) -> None:
    client = _client(personas.office_clerk)
    url = reverse("letters:template_upload", args=[TEST_KIND])
    response = client.post(
        url,
        {"file": SimpleUploadedFile("新模板.docx", template_with(*GOOD)), "note": "网页上传"},
    )
    assert response.status_code == 302
    row = LetterTemplate.objects.get()
    assert (row.version, row.active, row.note, row.filename) == (1, True, "网页上传", "新模板.docx")
    page = client.get(response["Location"]).content.decode()
    assert "第 1 版现为“测试通知书”的模板。" in page
    assert "当前使用第 1 版模板。" in page
    assert AuditEntry.objects.filter(action="letter_template.uploaded").count() == 1


def test_a_refused_upload_shows_the_reason_in_chinese(personas: Any, test_kind: Any) -> None:
    client = _client(personas.office_clerk)
    url = reverse("letters:template_upload", args=[TEST_KIND])
    missing = client.post(
        url, {"file": SimpleUploadedFile("缺字段.docx", template_with("{{ office_name }}"))}
    )
    assert missing.status_code == 400
    html = missing.content.decode()
    assert "缺少" in html and "{{ addressee }}" in html
    not_docx = client.post(url, {"file": SimpleUploadedFile("假的.docx", b"%PDF-1.4 hello")})
    assert not_docx.status_code == 400
    assert "不是" in not_docx.content.decode() and ".docx" in not_docx.content.decode()
    assert not LetterTemplate.objects.exists()


def test_upload_and_revert_are_refused_to_others(personas: Any, test_kind: Any) -> None:
    for user in (personas.housing_officer, personas.auditor):
        client = _client(user)
        upload = client.post(
            reverse("letters:template_upload", args=[TEST_KIND]),
            {"file": SimpleUploadedFile("t.docx", template_with(*GOOD))},
        )
        assert upload.status_code == 403
        revert = client.post(reverse("letters:template_revert", args=[TEST_KIND]), {"version": 0})
        assert revert.status_code == 403
    assert not LetterTemplate.objects.exists()


def test_revert_through_the_page(personas: Any, test_kind: Any) -> None:
    clerk = personas.office_clerk
    services.template_upload(kind=TEST_KIND, upload=template_with(*GOOD), actor=clerk)
    services.template_upload(kind=TEST_KIND, upload=template_with(*GOOD, "二"), actor=clerk)
    client = _client(clerk)
    response = client.post(reverse("letters:template_revert", args=[TEST_KIND]), {"version": 1})
    assert response.status_code == 302
    assert LetterTemplate.objects.get(active=True).version == 1
    client.post(reverse("letters:template_revert", args=[TEST_KIND]), {"version": 0})
    assert not LetterTemplate.objects.filter(active=True).exists()
    old = client.get(reverse("letters:template_version_download", args=[TEST_KIND, 2]))
    assert "二" in texts(b"".join(old.streaming_content))  # type: ignore[attr-defined]
    assert AuditEntry.objects.filter(action="letter_template.reverted").count() == 2


def test_letter_download_checks_rights(personas: Any) -> None:
    registry.register(make_test_kind(code="tests.scoped", view_permission="org.officer.contact"))
    try:
        officer = make_officer("李四", personas.dept("housing"), "42110200001")
        letter = services.letter_issue(
            kind="tests.scoped",
            context={"addressee": "李四", "body": "下载测试"},
            subject=officer,
            actor=personas.office_clerk,
        )
        url = reverse("letters:letter_download", args=[letter.pk])
        ok = _client(personas.housing_officer).get(url)
        assert ok.status_code == 200
        assert "下载测试" in texts(b"".join(ok.streaming_content))  # type: ignore[attr-defined]
        assert quote(letter.number) in ok["Content-Disposition"]
        assert _client(personas.transport_officer).get(url).status_code == 404
        assert Client().get(url).status_code == 302  # to the login page
        opened = AuditEntry.objects.filter(action="letter.opened", object_id=str(letter.pk))
        assert list(opened.values_list("actor__username", flat=True)) == ["housing_officer"]
    finally:
        registry.unregister("tests.scoped")


def test_pdf_is_clearly_unavailable_without_libreoffice(
    personas: Any, subject: Any, test_kind: Any, settings: Any
) -> None:
    from tenderwatch.letters import pdf

    settings.TW_LETTERS_SOFFICE = "no-such-soffice-binary"
    assert not pdf.available()
    letter = services.letter_issue(
        kind=TEST_KIND, context={"addressee": "甲"}, subject=subject, actor=personas.office_clerk
    )
    assert services.render_pdf(letter, actor=personas.office_clerk) is None
    response = _client(personas.office_clerk).get(reverse("letters:letter_pdf", args=[letter.pk]))
    assert response.status_code == 404
    assert "LibreOffice" in response.content.decode()


def test_pdf_when_libreoffice_is_installed(personas: Any, subject: Any, test_kind: Any) -> None:
    from tenderwatch.letters import pdf

    if not pdf.available():
        if os.environ.get("TW_REQUIRE_PDF") == "1":
            pytest.fail("TW_REQUIRE_PDF=1 but LibreOffice (soffice) is not installed")
        pytest.skip("LibreOffice (soffice) is not installed: PDF copies are unavailable here")
    letter = services.letter_issue(
        kind=TEST_KIND, context={"addressee": "甲"}, subject=subject, actor=personas.office_clerk
    )
    response = _client(personas.office_clerk).get(reverse("letters:letter_pdf", args=[letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert content.startswith(b"%PDF-")
    # 仿宋/宋体 are not installed here: the text is set in a Simplified Chinese Song face
    # (letters/fonts/fonts.conf: AR PL SungtiL GB, whose PostScript name is BousungEG-Light-GB),
    # never in the Japanese first face of the Noto collections LibreOffice would fall back to.
    faces = {name.split(b"+")[-1] for name in re.findall(rb"/FontName\s*/(\S+?)[/\s>]", content)}
    assert b"BousungEG-Light-GB" in faces, faces
    assert not any(b"CJKjp" in face for face in faces), faces
    opened = AuditEntry.objects.filter(action="letter.opened", object_id=str(letter.pk))
    assert opened.count() == 1


def test_the_list_include_links_each_letter(personas: Any, subject: Any, test_kind: Any) -> None:
    from django.template.loader import render_to_string

    letter = services.letter_issue(
        kind=TEST_KIND, context={"addressee": "甲"}, subject=subject, actor=personas.office_clerk
    )
    html = render_to_string(
        "letters/_list.html", {"letters": services.letters_of(subject), "letters_pdf": False}
    )
    assert letter.number in html and "测试通知书" in html
    assert reverse("letters:letter_download", args=[letter.pk]) in html
    assert "PDF" not in html
    empty = render_to_string("letters/_list.html", {"letters": []})
    assert "尚未制发文书" in empty


def test_admin_is_read_only(personas: Any, subject: Any, test_kind: Any) -> None:
    services.letter_issue(
        kind=TEST_KIND, context={"addressee": "甲"}, subject=subject, actor=personas.office_clerk
    )
    client = _client(personas.admin)
    assert client.get("/admin/letters/letter/").status_code == 200
    assert client.get("/admin/letters/letter/add/").status_code == 403
