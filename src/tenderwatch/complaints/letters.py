"""The six complaint letters (文书): their kinds, sample content and built-in Word templates.

`register_kinds()` is called from ComplaintsConfig.ready() (through `integrations.register`).
The built-in templates are built here in code with python-docx (`letters.docx_builder`), so a
change to their wording is a reviewable diff; the office downloads one, edits it in Word and
uploads it as a new version (docs/guide/letters.md). Context fields: contracts.md; all values
arrive as ready-formatted Chinese text (lists where noted). Each letter states its legal basis:
from the context where the context carries it (grounds, legal_basis), otherwise the article
the step rests on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenderwatch.letters.docx_builder import OfficialDocument
from tenderwatch.letters.registry import LetterKind, register

COMMON_FIELDS = (
    "office_name",
    "department_name",
    "letter_number",
    "issued_on",
    "matter_number",
    "matter_kind",
    "filer_name",
    "project_name",
    "project_code",
    "subject",
    "summary",
)
# Every letter but the proof of service is addressed to the filer.
COMMON_REQUIRED = ("office_name", "letter_number", "issued_on", "matter_number", "filer_name")

COMMON_SAMPLE: dict[str, Any] = {
    "office_name": "黄州区公共资源交易监督管理局",
    "department_name": "区住房和城乡建设局",
    "letter_number": "黄州公管投诉受〔2026〕12号",
    "issued_on": "2026年6月8日",
    "matter_number": "TS-2026-000123",
    "matter_kind": "投诉",
    "filer_name": "湖北某某建设工程有限公司",
    "project_name": "黄州区某某小学改扩建工程",
    "project_code": "HZ-2026-FJ-0042",
    "subject": "评标委员会未按招标文件规定的评标标准和方法评标",
    "summary": "投诉人认为评标委员会对其投标文件的技术标评分有误，请求复核。",
}

# 招标投标法实施条例 第六十一条; 工程建设项目招标投标活动投诉处理办法 第七条、第十一条.
ART_61 = "《中华人民共和国招标投标法实施条例》第六十一条"
COMPLAINT_RULES_7 = "《工程建设项目招标投标活动投诉处理办法》第七条"

# The matter as the letters name it, after "…提交的" (who filed it, and when, differ by letter).
_MATTER = (
    "{{ matter_kind }}（编号：{{ matter_number }}），"
    "涉及项目：{{ project_name }}（项目编号：{{ project_code }}），事项：{{ subject }}。"
)
MATTER_LINE = "你（单位）于{{ received_on }}提交的" + _MATTER
FILED_LINE = "你（单位）提交的" + _MATTER


def _head(doc: OfficialDocument, title: str) -> None:
    doc.masthead()
    doc.number()
    doc.title(title)


def _letter(
    title: str, addressee: str = "{{ filer_name }}：", *, heading: str = ""
) -> OfficialDocument:
    """A letter's masthead, number, title (`heading` when it differs) and addressee."""
    doc = OfficialDocument(core_title=title)
    _head(doc, heading or title)
    doc.addressee(addressee)
    return doc


def _closed(doc: OfficialDocument, closing: str) -> bytes:
    """The closing phrase (特此通知。/特此告知。) and the office's signature."""
    doc.body(closing)
    doc.signature()
    return doc.to_bytes()


def acceptance_notice() -> bytes:
    doc = _letter("受理通知书")
    doc.body(MATTER_LINE)
    doc.body(
        f"经审查，该{{{{ matter_kind }}}}符合受理条件。根据{ART_61}的规定，本机关决定自"
        "{{ accepted_on }}起予以受理，由{{ handling_department }}负责办理，"
        "并将于{{ conclusion_due }}前办结、书面告知处理结果。"
    )
    doc.body("办理期间，如有补充材料或者情况说明，请及时提交。联系电话：{{ contact_phone }}。")
    return _closed(doc, "特此通知。")


def non_acceptance_notice() -> bytes:
    doc = _letter("不予受理告知书")
    doc.body(MATTER_LINE)
    doc.body("经审查，该{{ matter_kind }}有下列情形，本机关决定不予受理：")
    doc.numbered("g", "grounds", "{{ g.ground }}{% if g.basis %}（依据：{{ g.basis }}）{% endif %}")
    doc.body("{{ remedy }}")
    return _closed(doc, "特此告知。")


def supplement_request() -> bytes:
    doc = _letter("补正通知书")
    doc.body(FILED_LINE)
    doc.body(
        f"经审查，该{{{{ matter_kind }}}}材料不齐全。根据{COMPLAINT_RULES_7}的规定，"
        "请于{{ supplement_due }}前补正下列材料："
    )
    doc.numbered("item", "items", "{{ item }}")
    doc.body(
        "补正期间不计入审查期限。逾期未补正或者补正后仍不符合要求的，本机关将依法作出"
        "不予受理的决定。"
    )
    return _closed(doc, "特此通知。")


def transfer_letter() -> bytes:
    doc = _letter("转办函", "{{ receiving_body }}：")
    doc.body("本机关收到{{ filer_name }}提交的" + _MATTER)
    doc.body("主要内容：{{ summary }}")
    doc.body("转办理由：{{ reason }}")
    doc.body(
        "根据{{ legal_basis }}的规定，现将该{{ matter_kind }}转你单位依法处理，"
        "请将处理结果函告本机关。"
    )
    doc.body("附件：")
    doc.numbered("e", "enclosures", "{{ e }}")
    doc.signature()
    return doc.to_bytes()


def handling_decision() -> bytes:
    doc = _letter("投诉处理决定书", heading="{{ matter_kind }}处理决定书")
    doc.body(FILED_LINE + "本机关依法进行了调查，现作出处理决定如下。")
    doc.heading("一、查明的事实")
    doc.body("{{ facts }}")
    doc.heading("二、处理依据")
    doc.numbered("basis", "legal_basis", "{{ basis }}")
    doc.heading("三、处理决定")
    doc.body("{{ outcome }}")
    doc.body("{{ decision_text }}")
    doc.heading("四、救济途径")
    doc.body("{{ remedy }}")
    doc.signature(office="{{ department_name }}")
    return doc.to_bytes()


def service_receipt() -> bytes:
    doc = OfficialDocument(core_title="送达回证")
    _head(doc, "送达回证")
    doc.table(
        [
            ("送达文书", "{{ document_title }}"),
            ("文书编号", "{{ document_number }}"),
            ("案由", "{{ matter_kind }}（编号：{{ matter_number }}）：{{ subject }}"),
            ("受送达人", "{{ served_to }}"),
            ("送达方式", "{{ service_method }}"),
            ("送达时间", "{{ served_on }}"),
            ("送达人", "{{ served_by }}"),
            ("受送达人签收", ""),
            ("备注", "{{ proof_note }}"),
        ]
    )
    doc.blank()
    doc.note(
        "说明：送达方式依照《中华人民共和国民事诉讼法》关于送达的规定；受送达人拒绝签收的，"
        "送达人应当在备注栏注明情况。"
    )
    doc.signature()
    return doc.to_bytes()


# Titles are the documents' names in Chinese administrative practice, printed on the documents
# (which are Chinese whatever the user's language), so they are not translated.
KINDS: list[tuple[str, Any, str, Callable[[], bytes], dict[str, Any], tuple[str, ...]]] = [
    (
        "complaints.acceptance_notice",
        "受理通知书",
        "投诉受",
        acceptance_notice,
        {
            "received_on": "2026年6月5日",
            "accepted_on": "2026年6月8日",
            "conclusion_due": "2026年6月22日",
            "handling_department": "区住房和城乡建设局",
            "contact_phone": "0713-8888888",
        },
        (*COMMON_REQUIRED, "received_on", "accepted_on", "conclusion_due"),
    ),
    (
        "complaints.non_acceptance_notice",
        "不予受理告知书",
        "投诉不受",
        non_acceptance_notice,
        {
            "received_on": "2026年6月5日",
            "grounds": [
                {
                    "ground": "投诉人不是所投诉招标投标活动的参与者，或者与投诉项目无任何利害关系",
                    "basis": "《工程建设项目招标投标活动投诉处理办法》第十二条第（一）项",
                },
                {"ground": "投诉事项已经超过法定投诉期限", "basis": ""},
            ],
            "remedy": (
                "如不服本决定，可以自收到本告知书之日起六十日内依法申请行政复议，"
                "或者在六个月内依法向人民法院提起行政诉讼。"
            ),
        },
        (*COMMON_REQUIRED, "received_on", "grounds", "remedy"),
    ),
    (
        "complaints.supplement_request",
        "补正通知书",
        "投诉补",
        supplement_request,
        {
            "items": ["投诉人的营业执照复印件", "已提出异议的证明材料"],
            "supplement_due": "2026年6月12日",
        },
        (*COMMON_REQUIRED, "items", "supplement_due"),
    ),
    (
        "complaints.transfer_letter",
        "转办函",
        "投诉转",
        transfer_letter,
        {
            "receiving_body": "黄冈市公共资源交易监督管理局",
            "reason": "该项目由市级行政监督部门监管，不属于本机关管辖。",
            "legal_basis": "《工程建设项目招标投标活动投诉处理办法》第四条",
            "enclosures": ["投诉书及附件（共12页）", "收件登记表"],
        },
        (*COMMON_REQUIRED, "receiving_body", "reason", "legal_basis"),
    ),
    (
        "complaints.handling_decision",
        "处理决定书",
        "投诉决",
        handling_decision,
        {
            "facts": "经调取评标报告并组织原评标委员会复核，第3项技术评分存在计算错误。",
            "outcome": "投诉成立。",
            "decision_text": "责令招标人组织原评标委员会重新评审，并公示重新评审结果。",
            "legal_basis": [
                "《中华人民共和国招标投标法实施条例》第六十一条",
                "《中华人民共和国招标投标法实施条例》第七十一条",
            ],
            "remedy": (
                "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
                "或者在六个月内依法向人民法院提起行政诉讼。"
            ),
        },
        (*COMMON_REQUIRED, "facts", "outcome", "decision_text", "legal_basis", "remedy"),
    ),
    (
        "complaints.service_receipt",
        "送达回证",
        "投诉送",
        service_receipt,
        {
            "document_title": "投诉处理决定书",
            "document_number": "黄州公管投诉决〔2026〕3号",
            "service_method": "直接送达",
            "served_on": "2026年6月23日",
            "served_to": "湖北某某建设工程有限公司",
            "served_by": "王晓明、张伟",
            "proof_note": "",
        },
        (
            "office_name",
            "letter_number",
            "issued_on",
            "matter_number",
            "document_title",
            "document_number",
            "served_on",
            "served_to",
        ),
    ),
]

# Only those who may see the matter may open its letters (complaints.permissions).
VIEW_PERMISSION = "complaints.view"


def kinds() -> list[LetterKind]:
    out = []
    for code, title, prefix, build, extra, required in KINDS:
        out.append(
            LetterKind(
                code=code,
                title=title,
                fields=COMMON_FIELDS + tuple(extra),
                sample={**COMMON_SAMPLE, **extra},
                number_prefix=prefix,
                default_template=build,
                required=required,
                view_permission=VIEW_PERMISSION,
            )
        )
    return out


def register_kinds() -> None:
    """Register the six kinds (idempotent)."""
    for kind in kinds():
        register(kind)
