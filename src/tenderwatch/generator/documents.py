"""The text of a project's tender documents (招标文件, or 采购文件 for other methods): a few
paragraphs of the clauses a county's documents carry — conditions, scope, qualification
requirements, obtaining the documents, bid security, submission, evaluation — with the
project's own facts. A project drawn with a discriminatory clause gets it at the number the
label names (`model.CLAUSE_NUMBER`); clean documents never contain one of the phrases in
`violations.CLAUSE_MARKERS`.
"""

from __future__ import annotations

import datetime as dt
import random

from tenderwatch.generator.model import GLot, GProject, day_of
from tenderwatch.generator.violations import day_text, yuan

METHOD_WORDS = {
    "open": "公开招标",
    "invited": "邀请招标",
    "competitive_consultation": "竞争性磋商",
    "competitive_negotiation": "竞争性谈判",
    "inquiry": "询价",
}
DOCUMENT_TITLE = {
    "open": "招标文件",
    "invited": "招标文件",
    "competitive_consultation": "竞争性磋商文件",
    "competitive_negotiation": "竞争性谈判文件",
    "inquiry": "询价通知书",
}
EVALUATION_WORDS = {"comprehensive": "综合评估法", "lowest": "经评审的最低投标价法"}


def _clock(seconds: int) -> str:
    local = dt.datetime.fromtimestamp(seconds, tz=dt.timezone(dt.timedelta(hours=8)))
    return f"{local.year}年{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


def tender_document(project: GProject, rng: random.Random) -> tuple[str, str]:
    """(title, text) of the project's tender documents."""
    assert project.documents_issued is not None and project.deadline is not None
    title = f"{project.name}{DOCUMENT_TITLE.get(project.method, '招标文件')}"
    region = project.region
    tenderer = project.tenderer.name
    agency = project.agency.name if project.agency else tenderer
    first: GLot = project.lots[0]
    works = project.category == "works"
    clause = project.clause
    issue_day = day_of(project.documents_issued)
    sale_end = day_of(project.sale_end) if project.sale_end else issue_day + 5
    lines = [
        title,
        f"项目编号：{project.code}",
        "",
        "第一章 招标公告" if project.method in ("open", "invited") else "第一章 采购公告",
        f"1. 招标条件：本项目{project.name}已由"
        f"{project.approval_no or '相关主管部门'}批准，项目业主为{tenderer}，建设资金来自"
        f"{project.funding_source}，出资比例为100%。招标人为{tenderer}，招标代理机构为{agency}。"
        f"项目已具备招标条件，现采用{METHOD_WORDS.get(project.method, '公开招标')}方式进行采购。",
        "2. 项目概况与招标范围：",
        f"2.1 建设地点：{region.prefix}{rng.choice(('城区', '开发区', '辖区内', '项目所在地'))}。",
        f"2.2 项目估算价：{yuan(project.estimate)}；本次共划分{len(project.lots)}个标段。",
        f"2.3 计划工期（服务期）：{first.duration_days or 90}日历天。",
    ]
    if clause is not None and clause[1] == "2.4":
        lines.append(f"2.4 {clause[2]}")
    else:
        lines.append(
            "2.4 技术标准和要求：执行国家现行规范和标准，"
            "采用的设备材料须满足招标文件技术要求，"
            "可以选用性能相当或更优的同类产品。"
        )
    lines += [
        "3. 投标人资格要求：",
        "3.1 投标人须具有独立法人资格，具备有效的营业执照。",
        "3.2 投标人须具备"
        + (
            "相应专业施工总承包三级及以上资质，并具有有效的安全生产许可证"
            if works
            else "完成本项目所需的相应能力"
        )
        + "。",
        "3.3 拟派项目负责人须具备相应专业注册执业资格，且未担任其他在建项目的项目负责人。",
        "3.4 本次招标不接受联合体投标；投标人未被列入严重失信主体名单。",
    ]
    if clause is not None and clause[1] == "3.5":
        lines.append(f"3.5 {clause[2]}")
    lines += [
        "4. 招标文件的获取：",
        f"4.1 凡有意参加投标者，请于{day_text(issue_day)}至{day_text(sale_end)}，"
        f"登录{region.city}市公共资源交易电子服务系统下载电子招标文件。",
        "5. 投标保证金：",
        "5.1 "
        + (
            f"投标保证金金额：{yuan(first.security)}，"
            "可以银行转账、银行保函或电子保函形式提交，银行转账须从投标人基本账户转出。"
            if first.security
            else "本项目不收取投标保证金。"
        ),
        "5.2 投标保证金有效期与投标有效期一致。",
    ]
    if clause is not None and clause[1] == "5.3":
        lines.append(f"5.3 {clause[2]}")
    lines += [
        "6. 投标文件的递交：",
        f"6.1 投标文件递交的截止时间（投标截止时间，下同）为{_clock(project.deadline)}，"
        f"投标人应在截止时间前通过电子交易系统递交电子投标文件。",
        f"6.2 开标时间与投标截止时间相同，开标地点为{region.name}公共资源交易中心。",
        "7. 评标办法：",
        f"7.1 本项目采用{EVALUATION_WORDS.get(first.evaluation_method, '综合评估法')}。",
        f"7.2 最高投标限价：{yuan(first.ceiling or first.estimate)}，投标报价高于最高投标限价的，"
        "其投标将被否决。",
    ]
    if clause is not None and clause[1] == "7.3":
        lines.append(f"7.3 {clause[2]}")
    else:
        lines.append("7.3 评标委员会按得分由高到低推荐不超过3名中标候选人，并标明排序。")
    lines += [
        "8. 发布公告的媒介：本次招标公告同时在中国招标投标公共服务平台和"
        f"{region.province_name}省招标投标监管网上发布。",
        f"9. 联系方式：招标人：{tenderer}，电话：{project.tenderer.phone}；"
        f"招标代理机构：{agency}。",
    ]
    return title, "\n".join(lines) + "\n"
