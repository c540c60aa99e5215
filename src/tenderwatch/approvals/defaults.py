"""The approval routes a district gets when its configuration file names none.

Same shape as a district file's `[[approval_routes]]` tables (see `services.routes_load`):

    [[approval_routes]]
    kind = "complaint_decision"
    name = "投诉处理决定审批"
    levels = [ { stage = "承办", roles = ["office_staff", "department_officer"] },
               { stage = "审核", level = 1 }, { stage = "审批", level = 3 } ]

A level names who may act: `role`/`roles` (org roles) or `level` (the minimum leader approval
level: 1 科室负责人, 2 分管领导, 3 主要负责人). `department` says where they must hold it:
"subject" (default; the department whose decision it is) or "office". `collective` is true
(always), false (default) or "major" (only for complex or major cases), with `min_attendees`
leaders (default 3).

Decisions are made by the competent department (DESIGN.md, "Who acts in law"); where the office
handles a matter itself, the office is the request's department, and the same route applies.
"""

from __future__ import annotations

from typing import Any

HANDLERS = ["office_staff", "department_officer"]

DEFAULT_ROUTES: list[dict[str, Any]] = [
    {
        "kind": "complaint_acceptance",
        "name": "投诉受理审批",
        "description": (
            "收到投诉之日起3个工作日内决定是否受理（招标投标法实施条例 第六十一条）；"
            "一窗受理，由办公室承办。"
        ),
        "levels": [
            {"stage": "承办", "role": "office_staff", "department": "office"},
            {"stage": "审批", "level": 1, "department": "office"},
        ],
    },
    {
        "kind": "complaint_decision",
        "name": "投诉处理决定审批",
        "description": (
            "自受理投诉之日起30个工作日内作出书面处理决定（招标投标法实施条例 第六十一条）。"
        ),
        "levels": [
            {"stage": "承办", "roles": HANDLERS},
            {"stage": "审核", "level": 1},
            {"stage": "审批", "level": 3},
        ],
    },
    {
        "kind": "warning_closure",
        "name": "预警办结审批",
        "description": "预警处置完毕、办结销号，由办公室审核。",
        "levels": [
            {"stage": "承办", "roles": HANDLERS},
            {"stage": "审核", "role": "office_staff", "department": "office"},
            {"stage": "审批", "level": 1, "department": "office"},
        ],
    },
    {
        "kind": "warning_decision",
        "name": "预警处置决定审批",
        "description": (
            "确认预警并责令暂停招标投标活动（招标投标法实施条例 第六十二条），或对高风险预警"
            "不予认定的，由承办部门负责人审核、办公室分管领导审批后执行。"
        ),
        "levels": [
            {"stage": "承办", "roles": HANDLERS},
            {"stage": "审核", "level": 1},
            {"stage": "审批", "level": 2, "department": "office"},
        ],
    },
    {
        "kind": "case_filing",
        "name": "立案审批",
        "description": "符合立案标准的，报行政机关负责人批准立案（行政处罚法 第五十四条）。",
        "levels": [
            {"stage": "承办", "roles": HANDLERS},
            {"stage": "审核", "level": 1},
            {"stage": "审批", "level": 2},
        ],
    },
    {
        "kind": "penalty_decision",
        "name": "行政处罚决定审批",
        "description": (
            "作出行政处罚决定前由法制审核人员进行法制审核（行政处罚法 第五十八条）；"
            "情节复杂或者重大违法行为给予行政处罚，行政机关负责人应当集体讨论决定（第五十七条）。"
        ),
        "levels": [
            {"stage": "承办", "roles": HANDLERS},
            {"stage": "审核", "level": 1},
            {"stage": "法制审核", "level": 1},
            {"stage": "审批", "level": 3, "collective": "major", "min_attendees": 3},
        ],
    },
    {
        "kind": "discipline_referral",
        "name": "移送纪检监察审批",
        "description": "一案三查发现监管失职、主体责任落实不力的，移送纪检监察机关。",
        "levels": [
            {"stage": "承办", "role": "office_staff", "department": "office"},
            {"stage": "审核", "level": 2, "department": "office"},
            {"stage": "审批", "level": 3, "department": "office"},
        ],
    },
]
