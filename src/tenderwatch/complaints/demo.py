"""Demo complaints and tip-offs: a day's realistic intake at every stage of part 1, and matters
further on (part 2): in investigation at the housing department, a draft decision waiting at its
second approval level, a decision served (its letter on the filer's tracking page), a tip-off
transferred to discipline inspection, and an archived file.

Called by `tenderwatch demo` once the district, the demo accounts and (optionally) the generated
projects are there:

    from tenderwatch.complaints.demo import load_demo_complaints
    with context.bind(channel="cli"):
        load_demo_complaints(stdout=self.stdout)

Everything goes through the services, so the demo has its audit trail, its clocks from the
working-day calendar and sealed identities like real data. Idempotent: when any complaint or
tip-off exists, nothing is added. Names, numbers and companies are invented.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from tenderwatch.approvals.services import approval_decide
from tenderwatch.complaints import archive, handling, investigation, routing, services
from tenderwatch.complaints.identity import Identity
from tenderwatch.complaints.models import (
    Addressee,
    Channel,
    FilerKind,
    FilerRole,
    Kind,
    Matter,
    Outcome,
    Purpose,
    RejectionGround,
    Routing,
    ServiceMethod,
    Subject,
)
from tenderwatch.complaints.testing import pdf_bytes, png_bytes, upload
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError
from tenderwatch.ledger.models import Project
from tenderwatch.org.models import Department, User
from tenderwatch.workdays import calendar

BIDDER = Identity(
    name="湖北楚天路桥工程有限公司",
    id_number="91421100MA49C7RT2H",
    contact_person="周建国",
    phone="0713-8125566",
    email="ctlq@example.cn",
    address="湖北省黄冈市黄州区东坡大道218号",
)
OTHER_BIDDER = Identity(
    name="黄冈市广厦建筑工程有限公司",
    id_number="91421100MA48XW6K1P",
    contact_person="刘芳",
    phone="0713-8667788",
    address="湖北省黄冈市黄州区宝塔大道9号",
)
SUPPLIER = Identity(
    name="武汉卓越教学设备有限公司",
    id_number="91420100MA4KQ2LB8D",
    contact_person="陈静",
    phone="027-87654321",
    address="湖北省武汉市洪山区光谷大道77号",
)
PERSON = Identity(
    name="张桂英",
    id_number="421102197603154528",
    phone="13872561234",
    address="湖北省黄冈市黄州区路口镇",
)


def _project(industry: str) -> Project | None:
    return (
        Project.objects.filter(industry=industry)
        .order_by("-registered_at", "-id")
        .only("id", "code", "name", "industry")
        .first()
    )


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _back(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """A working day `days` working days before today, at the given China time."""
    day = timeutil.china_date()
    for _i in range(days):
        day = day - dt.timedelta(days=1)
        while not calendar.is_workday(day):
            day = day - dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timeutil.CHINA)
    return min(moment, timeutil.now())


def _file(filing: services.Filing, *, actor: Any = None, at: dt.datetime) -> Matter:
    return _filed(filing, actor=actor, at=at).matter


def _filed(filing: services.Filing, *, actor: Any = None, at: dt.datetime) -> services.FilingResult:
    return services.matter_file(
        filing=filing, token=services.new_submission_token(), actor=actor, now=at
    )


def _evidence(name: str) -> list[tuple[str, Any]]:
    return [(Purpose.EVIDENCE, upload(name, pdf_bytes(name)))]


def load_demo_complaints(*, stdout: Any = None) -> int:
    """Add the demo complaints and tip-offs; returns how many were filed (0 when some exist)."""
    if Matter.objects.exists():
        if stdout is not None:
            stdout.write(_("Demo complaints: already there.") + "\n")
        return 0
    clerk, section_head = _user("office_clerk"), _user("section_head")
    if clerk is None or section_head is None:
        if stdout is not None:
            stdout.write(_("Demo complaints: the demo accounts are missing; skipped.") + "\n")
        return 0
    housing = _project("housing_municipal")
    transport = _project("transport")
    water = _project("water")
    filed: list[Matter] = []
    served: services.FilingResult | None = None
    try:
        filed += _load(clerk, section_head, housing, transport, water)
        staged, served = _stages(clerk, section_head, housing)
        filed += staged
    except DomainError as exc:  # e.g. the holiday schedule of the coming year is missing
        if stdout is not None:
            stdout.write(_("Demo complaints: stopped: %(error)s") % {"error": exc.message} + "\n")
    if stdout is not None:
        stdout.write(
            _("Demo complaints and tip-offs: %(n)s filed (%(numbers)s).")
            % {"n": len(filed), "numbers": "、".join(m.number for m in filed)}
            + "\n"
        )
        if served is not None:
            stdout.write(
                _(
                    "Demo decision served: filing number %(number)s, tracking code %(code)s "
                    "(the filer downloads the decision on the tracking page)."
                )
                % {"number": served.matter.number, "code": served.code}
                + "\n"
            )
    return len(filed)


def _text(project: Project | None, fallback: str) -> dict[str, Any]:
    if project is not None:
        return {"project": project}
    return {"project_text": fallback}


def _files(
    evidence: str = "",
    *,
    objection: tuple[str, str] | None = None,
    signed: tuple[str, str] | None = None,
) -> list[tuple[str, Any]]:
    """A filing's PDFs: the evidence (named `evidence`), the objection with its answer and the
    signed letter of complaint, these two given as (file name, content)."""
    out = _evidence(evidence) if evidence else []
    for purpose, pdf in ((Purpose.OBJECTION, objection), (Purpose.SIGNED_LETTER, signed)):
        if pdf is not None:
            out.append((purpose, upload(pdf[0], pdf_bytes(pdf[1]))))
    return out


def _complaint(
    identity: Identity,
    *,
    project: Project | None = None,
    project_text: str,
    subject: str = Subject.EVALUATION_RESULT,
    filer_role: str = FilerRole.BIDDER,
    **fields: Any,
) -> services.Filing:
    """A company's complaint (a bidder's unless `filer_role` says otherwise), declared true, on
    the ledger's project when there is one (else on the project as the filer names it)."""
    return services.Filing(
        kind=Kind.COMPLAINT,
        subject=subject,
        filer_kind=FilerKind.ENTITY,
        filer_role=filer_role,
        identity=identity,
        declaration=True,
        **_text(project, project_text),
        **fields,
    )


def _tip_off(
    subject: str,
    *,
    identity: Identity | None = None,
    project: Project | None = None,
    project_text: str,
    **fields: Any,
) -> services.Filing:
    """A tip-off, anonymous unless a person is named."""
    return services.Filing(
        kind=Kind.TIP_OFF,
        subject=subject,
        filer_kind=FilerKind.ANONYMOUS if identity is None else FilerKind.PERSON,
        identity=identity if identity is not None else Identity(),
        **_text(project, project_text),
        **fields,
    )


def _load(
    clerk: User,
    section_head: User,
    housing: Project | None,
    transport: Project | None,
    water: Project | None,
) -> list[Matter]:
    out: list[Matter] = []
    today = timeutil.china_date()

    # 1. A losing bidder against the evaluation result, filed this morning: waits for the clerk.
    out.append(
        _file(
            _complaint(
                BIDDER,
                respondent_name="黄冈市黄州区交通投资有限公司",
                respondent_address="湖北省黄冈市黄州区西湖一路12号",
                respondent_contact="0713-8350012",
                industry="transport",
                knew_on=today - dt.timedelta(days=3),
                objection_on=today - dt.timedelta(days=3),
                objection_reply_on=today - dt.timedelta(days=1),
                facts=(
                    "第一中标候选人投标文件中载明的类似工程业绩，其竣工验收日期晚于招标文件要求的"
                    "业绩时间范围，评标委员会仍予认定并加分。我公司在公示期内提出异议，招标人答复"
                    "“评审结论维持不变”。"
                ),
                grounds="招标投标法实施条例 第四十九条、第五十四条",
                requests="请求责令招标人组织原评标委员会复核，取消第一中标候选人的业绩加分。",
                files=_files(
                    "评标结果公示截图.pdf",
                    objection=("异议书及答复.pdf", "objection"),
                    signed=("投诉书（盖章）.pdf", "signed"),
                ),
                project=transport,
                project_text="黄州区农村公路安全生命防护工程（二标段）",
            ),
            at=_back(0, 9, 12),
        )
    )

    # 2. The same bidder files the same matter again an hour later: linked, not counted twice.
    out.append(
        _file(
            _complaint(
                BIDDER,
                respondent_name="黄冈市黄州区交通投资有限公司",
                industry="transport",
                facts="补充：第一中标候选人项目经理同时在另一在建项目任职。",
                files=_files("项目经理在建证明.pdf"),
                project=transport,
                project_text="黄州区农村公路安全生命防护工程（二标段）",
            ),
            at=_back(0, 10, 5),
        )
    )

    # 3. A complaint filed two working days ago, still not decided: overdue on the plan's
    #    1 working day, and raised to the office head by the sweeper.
    overdue = _file(
        _complaint(
            OTHER_BIDDER,
            subject=Subject.TENDER_DOCUMENTS,
            filer_role=FilerRole.APPLICANT,
            respondent_name="黄冈市黄州区城市建设投资有限公司",
            respondent_address="湖北省黄冈市黄州区西湖二路8号",
            industry="housing_municipal",
            knew_on=_back(4, 9).date(),
            objection_on=_back(4, 9).date(),
            objection_reply_on=_back(3, 9).date(),
            facts=(
                "招标文件要求投标人具有“黄冈市范围内”同类工程业绩方可得分，以特定行政区域业绩作为"
                "加分条件，限制、排斥潜在投标人。"
            ),
            grounds="招标投标法实施条例 第三十二条第（三）项",
            requests="请求责令招标人修改招标文件并顺延投标截止时间。",
            files=_files(
                "招标文件第三章节选.pdf",
                objection=("异议回复.pdf", "reply"),
                signed=("投诉书.pdf", "letter"),
            ),
            project=housing,
            project_text="黄州区东湖片区老旧小区改造工程",
        ),
        at=_back(2, 15, 40),
    )
    out.append(overdue)
    services.deadlines_sweep()

    # 4. Accepted yesterday: the 30 working days of 条例 第六十一条 run from acceptance.
    accepted = _file(
        _complaint(
            OTHER_BIDDER,
            subject=Subject.OPENING,
            respondent_name="黄冈市黄州区水务投资有限公司",
            respondent_address="湖北省黄冈市黄州区江北路3号",
            industry="water",
            knew_on=_back(2, 9).date(),
            objection_on=_back(2, 9).date(),
            objection_reply_on=_back(2, 9).date(),
            facts="开标时未当众检查投标文件密封情况，唱标价格与投标函不一致，当场提出异议未获答复。",
            requests="请求查明开标程序违法事实并依法处理。",
            files=_files(
                "开标记录.pdf",
                objection=("开标现场异议记录.pdf", "opening"),
                signed=("投诉书.pdf", "letter2"),
            ),
            project=water,
            project_text="黄州区长河泵站更新改造工程",
        ),
        at=_back(1, 9, 30),
    )
    services.matter_accept(
        matter=accepted, actor=clerk, note="材料齐全，依法受理。", now=_back(1, 14, 0)
    )
    out.append(accepted)

    # 5. A person's complaint without evidence or ID: asked to supplement (补正), clock stopped.
    supplement = _file(
        services.Filing(
            kind=Kind.COMPLAINT,
            subject=Subject.PROCEDURE,
            filer_kind=FilerKind.PERSON,
            filer_role=FilerRole.INTERESTED,
            identity=PERSON,
            respondent_name="黄冈市黄州区堵城镇人民政府",
            industry="agriculture",
            facts="村里的高标准农田项目没有公开招标就开工了。",
            project_text="黄州区堵城镇高标准农田建设项目",
        ),
        at=_back(1, 10, 15),
    )
    services.matter_request_supplement(
        matter=supplement,
        actor=clerk,
        items=[
            "知道或者应当知道投诉事项的日期",
            "有效线索和相关证明材料",
            "投诉人签字及有效身份证明复印件",
        ],
        note="电话告知投诉人在线补正。",
        now=_back(1, 11, 0),
    )
    out.append(supplement)

    # 6. Out of time and without a prior objection: non-acceptance approved and notified.
    late = _file(
        _complaint(
            BIDDER,
            respondent_name="黄冈市黄州区第一中学",
            industry="housing_municipal",
            knew_on=today - dt.timedelta(days=40),
            facts="对教学楼建设工程评标结果有异议，认为评分不公。",
            requests="请求重新评标。",
            files=_files(signed=("投诉书.pdf", "late")),
            project_text="黄州区第一中学教学楼建设工程",
        ),
        at=_back(1, 16, 20),
    )
    request = services.matter_propose_rejection(
        matter=late,
        actor=clerk,
        ground=RejectionGround.OUT_OF_TIME,
        reasoning="投诉人知道评标结果已逾10日，且未先向招标人提出异议。",
        now=_back(0, 8, 40),
    )
    approval_decide(request=request, actor=section_head, decision="approve", opinion="同意。")
    services.matter_finalize_rejection(matter=late, actor=clerk, now=_back(0, 9, 0))
    out.append(late)

    # 7. An anonymous tip-off about collusion (3 days to decide, working days by default).
    out.append(
        _file(
            _tip_off(
                Subject.COLLUSION,
                respondent_name="黄冈市鸿达建设工程有限公司等三家投标人",
                industry="housing_municipal",
                facts=(
                    "三家投标人的投标文件由同一人编制，电子投标文件的创建机器码一致，投标保证金"
                    "由同一账户转出，报价呈等差排列。"
                ),
                files=_files("线索说明.pdf"),
                project=housing,
                project_text="黄州区安置房建设项目（一期）",
            ),
            at=_back(0, 8, 5),
        )
    )

    # 8. A named tip-off on 转包, received by letter and entered by the clerk.
    out.append(
        _file(
            _tip_off(
                Subject.PERFORMANCE,
                channel=Channel.LETTER,
                received_at=_back(1, 9, 0),
                identity=Identity(name="王建华", phone="13907131234"),
                respondent_name="湖北永固市政工程有限公司",
                industry="housing_municipal",
                facts="中标单位将主体结构整体交给挂靠队伍施工，项目经理从未到岗，农民工工资拖欠两个月。",
                files=[(Purpose.EVIDENCE, upload("现场照片.png", png_bytes()))],
                project_text="黄州区雨污分流改造工程",
            ),
            actor=clerk,
            at=_back(0, 9, 20),
        )
    )

    # 9. A matter assigned by the city (交办件), with the date the city wants an answer by.
    out.append(
        _file(
            _tip_off(
                Subject.FRAUD,
                channel=Channel.ASSIGNED,
                received_at=_back(0, 8, 30),
                assigned_source="黄冈市公共资源交易监督管理局",
                assigned_ref="黄公管交〔2026〕17号",
                assigned_due=calendar.add_workdays(today, 10),
                respondent_name="黄冈市正信工程项目管理有限公司",
                industry="water",
                facts="反映招标代理机构为特定投标人量身定制资格条件，并提供虚假的专家抽取记录。",
                project_text="黄州区灌区续建配套与节水改造项目",
            ),
            actor=clerk,
            at=_back(0, 9, 45),
        )
    )

    # 10. Government procurement: the supplier never questioned the purchaser first (财政).
    out.append(
        _file(
            _complaint(
                SUPPLIER,
                subject=Subject.OTHER,
                respondent_name="黄冈市黄州区教育局",
                respondent_address="湖北省黄冈市黄州区明珠大道20号",
                industry="government_procurement",
                knew_on=today - dt.timedelta(days=2),
                facts="采购需求中的技术参数指向单一品牌，中标产品与采购需求不符。",
                requests="请求责令重新开展采购活动。",
                files=_files("采购需求.pdf", signed=("投诉书.pdf", "gp")),
                project_text="黄州区中小学多媒体教学设备采购项目",
            ),
            at=_back(0, 10, 40),
        )
    )
    return out


# -- part 2: matters further on, each moved through the stages by the demo personas -------------


def _stage_complaint(
    identity: Identity,
    *,
    knew: dt.date,
    tag: str,
    industry: str = "housing_municipal",
    **fields: Any,
) -> services.Filing:
    """A bidder's complaint against the evaluation result, objected to on the day it knew."""
    return _complaint(
        identity,
        respondent_address="湖北省黄冈市黄州区",
        industry=industry,
        knew_on=knew,
        objection_on=knew,
        objection_reply_on=knew,
        grounds="招标投标法实施条例 第五十四条",
        files=_files(
            f"证明材料-{tag}.pdf",
            objection=("异议书及答复.pdf", f"objection-{tag}"),
            signed=("投诉书（盖章）.pdf", f"signed-{tag}"),
        ),
        **fields,
    )


def _accepted(filing: services.Filing, clerk: User, days: int) -> services.FilingResult:
    """Filed `days` working days ago in the morning, accepted that afternoon."""
    result = _filed(filing, at=_back(days, 9, 20))
    services.matter_accept(
        matter=result.matter, actor=clerk, note="材料齐全，依法受理。", now=_back(days, 15, 0)
    )
    return result


def _self_handled_draft(
    matter: Matter,
    clerk: User,
    colleague: User,
    days: int,
    *,
    outcome: str,
    facts: str,
    decision_text: str,
) -> None:
    """The office handles the matter itself (自办): routed, investigated by two officers, and its
    draft decision put on the approval route (the clerk's submission signs 承办)."""
    routing.matter_route(matter=matter, actor=clerk, routing=Routing.SELF, now=_back(days, 9, 0))
    investigation.officers_assign(
        matter=matter, actor=clerk, users=[clerk, colleague], now=_back(days, 9, 10)
    )
    investigation.inquiry_record(
        matter=matter,
        actor=clerk,
        person="招标人代表 刘某",
        held_at=_back(days - 1, 10, 0),
        place="区公共资源交易监督管理办公室询问室",
        text="问：评标委员会对投标人业绩的认定依据是什么？答：以投标文件所附合同及验收证明为准。",
        now=_back(days - 1, 11, 30),
    )
    investigation.investigation_close(
        matter=matter, actor=clerk, note="事实已查清。", now=_back(days - 2, 16, 0)
    )
    handling.decision_draft(
        matter=matter,
        actor=clerk,
        outcome=outcome,
        facts=facts,
        decision_text=decision_text,
        now=_back(days - 3, 10, 0),
    )
    handling.decision_submit(matter=matter, actor=clerk, opinion="拟按此决定，请审核。")


def _served(
    matter: Matter, clerk: User, section_head: User, principal_head: User, served_to: str
) -> None:
    """Approved at 审核 and 审批, issued, and served by registered post."""
    handling.decision_sign(
        matter=matter, actor=section_head, level=2, decision="approve", opinion="同意。"
    )
    handling.decision_sign(
        matter=matter, actor=principal_head, level=3, decision="approve", opinion="同意，印发。"
    )
    handling.decision_issue(matter=matter, actor=clerk)
    handling.decision_serve(
        matter=matter,
        actor=clerk,
        method=ServiceMethod.POST,
        served_on=timeutil.china_date(),
        served_to=served_to,
        proof_note="EMS挂号邮寄，邮件号 1187654321098，已妥投。",
    )


def _stages(
    clerk: User, section_head: User, housing: Project | None
) -> tuple[list[Matter], services.FilingResult | None]:
    """Five matters past acceptance; returns them and the served one (for its tracking code)."""
    users = {
        name: _user(name)
        for name in ("housing_officer", "enforcement_officer", "seconded_officer", "principal_head")
    }
    officer, enforcement = users["housing_officer"], users["enforcement_officer"]
    colleague, principal = users["seconded_officer"], users["principal_head"]
    if officer is None or enforcement is None or colleague is None or principal is None:
        return [], None
    out: list[Matter] = []

    # 11. Assigned (分办) to the housing department, in investigation: two officers, an inquiry,
    #     and a request for documents to the respondent with its working-day deadline.
    inquiry = _accepted(
        _stage_complaint(
            OTHER_BIDDER,
            respondent_name="黄冈市黄州区城市建设投资有限公司",
            knew=_back(6, 9).date(),
            facts="第一中标候选人拟派项目经理同时在黄州区另一在建项目任职，评标委员会未予核查。",
            requests="请求查明项目经理在建情况，取消第一中标候选人资格。",
            project=housing,
            project_text="黄州区东湖片区老旧小区改造工程",
            tag="inquiry",
        ),
        clerk,
        4,
    ).matter
    routing.matter_route(matter=inquiry, actor=clerk, routing=Routing.ASSIGN, now=_back(3, 9, 30))
    investigation.officers_assign(
        matter=inquiry, actor=officer, users=[officer, enforcement], now=_back(3, 10, 0)
    )
    investigation.inquiry_record(
        matter=inquiry,
        actor=officer,
        person="招标人代表 刘某",
        held_at=_back(2, 9, 30),
        place="区住建局三楼询问室",
        text="问：项目经理在建情况是否核实？答：评标时未核实，以投标人承诺为准。",
        now=_back(2, 11, 0),
    )
    investigation.info_request_send(
        matter=inquiry,
        actor=officer,
        addressee=Addressee.RESPONDENT,
        items="提供评标报告、第一中标候选人投标文件及项目经理在建情况说明",
        workdays=5,
        now=_back(1, 10, 0),
    )
    out.append(inquiry)

    # 12. Handled by the office itself; the draft decision waits at level 2 (审核): 赵磊 signs it.
    pending = _accepted(
        _stage_complaint(
            BIDDER,
            respondent_name="黄冈市黄州区交通投资有限公司",
            knew=_back(9, 9).date(),
            facts="评标委员会对我公司技术标的评分明显低于评分标准，且无评分理由。",
            requests="请求责令复核评标结果。",
            project=None,
            project_text="黄州区城区道路提档升级工程（三标段）",
            industry="transport",
            tag="pending",
        ),
        clerk,
        7,
    ).matter
    _self_handled_draft(
        pending,
        clerk,
        colleague,
        6,
        outcome=Outcome.ORDER_CORRECT,
        facts="评标委员会对投诉人技术标第3项评分未按评分标准打分，且未记录评分理由。",
        decision_text="责令招标人组织原评标委员会对投诉人技术标进行复核，并重新公示评标结果。",
    )
    out.append(pending)

    # 13. Decided and served: the filer downloads the decision on the tracking page.
    served = _accepted(
        _stage_complaint(
            SUPPLIER,
            respondent_name="黄冈市黄州区城市建设投资有限公司",
            knew=_back(12, 9).date(),
            facts="中标人投标文件中的类似业绩证明系伪造，招标人对异议未予处理。",
            requests="请求认定中标无效。",
            project=housing,
            project_text="黄州区安置房配套道路工程",
            tag="served",
        ),
        clerk,
        10,
    )
    _self_handled_draft(
        served.matter,
        clerk,
        colleague,
        9,
        outcome=Outcome.DISMISSED,
        facts="经向业绩项目建设单位核实，中标人所附业绩合同及竣工验收证明真实有效。",
        decision_text="投诉事项缺乏事实根据，驳回投诉。",
    )
    _served(served.matter, clerk, section_head, principal, SUPPLIER.name)
    out.append(served.matter)

    # 14. A named tip-off transferred (转办) to discipline inspection, its receipt recorded.
    tip = _filed(
        _tip_off(
            Subject.COLLUSION,
            channel=Channel.LETTER,
            received_at=_back(4, 9, 0),
            identity=Identity(name="李国平", phone="13971352468"),
            respondent_name="黄州区某街道办事处工作人员",
            industry="housing_municipal",
            facts="街道办事处一名工作人员授意招标代理机构为其亲属控制的公司量身设置资格条件。",
            files=_evidence("举报信.pdf"),
            project_text="黄州区街道便民服务中心改造工程",
        ),
        actor=clerk,
        at=_back(4, 10, 0),
    ).matter
    services.matter_accept(matter=tip, actor=clerk, note="线索具体，予以受理。", now=_back(3, 9, 0))
    discipline = Department.objects.filter(code="discipline").first()
    transfer = routing.matter_transfer(
        matter=tip,
        actor=clerk,
        body=discipline,
        body_name="" if discipline is not None else "区纪委监委",
        reason="反映公职人员插手招标投标活动，属纪检监察机关管辖。",
        legal_basis="《监察法》第十一条；《信访工作条例》第二十一条",
        now=_back(3, 11, 0),
    )
    routing.transfer_receipt(
        transfer=transfer,
        actor=clerk,
        received_on=_back(2, 9).date(),
        reference="纪收〔2026〕31号",
        upload=upload("转办回执.pdf", pdf_bytes("receipt")),
        now=_back(1, 9, 30),
    )
    out.append(tip)

    # 15. A decided, served matter archived with its case-file index (卷内目录).
    closed = _accepted(
        _stage_complaint(
            OTHER_BIDDER,
            respondent_name="黄冈市黄州区水务投资有限公司",
            knew=_back(16, 9).date(),
            facts="招标人在开标前擅自修改评分办法，未书面通知所有投标人。",
            requests="请求责令招标人改正。",
            project=None,
            project_text="黄州区城区供水管网改造工程",
            industry="water",
            tag="archived",
        ),
        clerk,
        14,
    ).matter
    _self_handled_draft(
        closed,
        clerk,
        colleague,
        13,
        outcome=Outcome.ORDER_CORRECT,
        facts="招标人修改评分办法未在投标截止15日前书面通知所有潜在投标人。",
        decision_text="责令招标人改正，依法重新组织评标。",
    )
    _served(closed, clerk, section_head, principal, OTHER_BIDDER.name)
    archive.matter_archive(matter=closed, actor=clerk)
    out.append(closed)
    return out, served
