"""The violations the generator injects, at what rates, and how each is labelled.

Every injected violation becomes one `Label` (one per lot; a violation of the whole project —
its bidding period, a clarification, its tender documents, not tendering it at all — is listed
once for each of its lots, with `scope="project"`). A label names the rule it breaks by its row
in RULES.md (TD-05, AW-06, BO-08(2) …), the article of law, and the injected facts in Chinese;
`evidence` carries the same facts as data, for tests and for scoring detectors.

Rates. Each rate is the probability that an *eligible* unit gets the violation; the command's
`--violation-rate-scale` multiplies every rate (capped at 1). Eligibility follows the law the
rule comes from:

| code | rule | rate | eligible units |
|---|---|---|---|
| short_bidding_period | TD-05 | 2% | must-tender projects tendered (open or invited) |
| late_clarification | TD-06 | 2% | the same projects |
| discriminatory_clause | TD-13/TD-14/FC-06…FC-11 | 3% | projects with tender documents |
| not_tendered | MUST-02/03/04 | 2% | must-tender projects (then awarded directly) |
| split_to_avoid_tendering | MUST-05 | 0.6% | engineering works (each starts a group of 2–4) |
| short_publicity | AW-01 | 2% | lots of must-tender projects tendered |
| late_contract | AW-06 | 3% | the same lots |
| late_written_report | AW-09 | 2% | the same lots |
| excessive_bid_security | TD-09 / TD-09b | 2% | lots tendered (open or invited) |
| fewer_than_three_bids | BO-01 | 1.5% | lots tendered (open or invited) |
| shared_ip | BO-08(2) | 1.5% | competitive lots (any method with bids) |
| shared_mac | BO-08(2) | 1% | competitive lots |
| shared_ca_key | BO-08(2) | 0.5% | competitive lots |
| shared_file_author | BO-08(1) | 1% | competitive lots |
| shared_security_account | BO-08(6) | 0.5% | competitive lots with a bid security |
| shared_project_manager | BO-08(3) | 0.5% | competitive lots |
| shared_ip_related_lots | BO-08(2) | 1% | lots whose tenderer had a lot ≤ 170 days before |
| bid_rotation | BO-07 | 2% | competitive works lots with three or more bids |
| cover_bidding | BO-07 | 1.5% | competitive lots with three or more bids |
| regular_price_differences | BO-08(4) | 1% | competitive lots with three or more bids |

The three price patterns (rotation, cover bidding, regular differences) exclude each other in
one lot; the fingerprint kinds are drawn independently and may meet in one lot. A related-lots
IP is a bidder uploading from the address another firm used in an earlier lot of the same
tenderer (and not sharing it inside any lot); every later lot of that tenderer within 180 days
where the other firm bids from that address again is labelled too, since the check finds it
there (its draws come from a random stream of their own: the rest of the data is unchanged).
Rotation rings (3–5 local firms of one trade taking turns to win in one region) exist only in
some markets; the per-lot probability there is raised so that the rate over all eligible lots
is the one above. Every draw is counted (`Stats.eligible`), so the observed rate can be checked.

Clean data is kept clean of every pattern above: honest bidders never share a fingerprint,
periods respect the law, a works project of 300万 or more is always tendered, and so on.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

RATES: dict[str, float] = {
    "short_bidding_period": 0.02,
    "late_clarification": 0.02,
    "discriminatory_clause": 0.03,
    "not_tendered": 0.02,
    "split_to_avoid_tendering": 0.006,
    "short_publicity": 0.02,
    "late_contract": 0.03,
    "late_written_report": 0.02,
    "excessive_bid_security": 0.02,
    "fewer_than_three_bids": 0.015,
    "shared_ip": 0.015,
    "shared_mac": 0.01,
    "shared_ca_key": 0.005,
    "shared_file_author": 0.01,
    "shared_security_account": 0.005,
    "shared_project_manager": 0.005,
    "shared_ip_related_lots": 0.01,
    "bid_rotation": 0.02,
    "cover_bidding": 0.015,
    "regular_price_differences": 0.01,
}

# code → (RULES.md row, the article of law). Some codes choose their row per case
# (not_tendered by category, excessive_bid_security by which cap, discriminatory_clause by clause).
RULES: dict[str, tuple[str, str]] = {
    "short_bidding_period": ("TD-05", "招标投标法第二十四条"),
    "late_clarification": ("TD-06", "招标投标法实施条例第二十一条"),
    "short_publicity": ("AW-01", "招标投标法实施条例第五十四条"),
    "late_contract": ("AW-06", "招标投标法第四十六条"),
    "late_written_report": ("AW-09", "招标投标法第四十七条"),
    "excessive_bid_security": ("TD-09", "招标投标法实施条例第二十六条"),
    "fewer_than_three_bids": ("BO-01", "招标投标法实施条例第四十四条"),
    "not_tendered": ("MUST-02", "必须招标的工程项目规定第五条"),
    "split_to_avoid_tendering": ("MUST-05", "必须招标的工程项目规定第五条第二款；招标投标法第四条"),
    "shared_ip": ("BO-08(2)", "招标投标法实施条例第四十条第（二）项"),
    "shared_mac": ("BO-08(2)", "招标投标法实施条例第四十条第（二）项"),
    "shared_ca_key": ("BO-08(2)", "招标投标法实施条例第四十条第（二）项"),
    "shared_file_author": ("BO-08(1)", "招标投标法实施条例第四十条第（一）项"),
    "shared_security_account": ("BO-08(6)", "招标投标法实施条例第四十条第（六）项"),
    "shared_project_manager": ("BO-08(3)", "招标投标法实施条例第四十条第（三）项"),
    "shared_ip_related_lots": ("BO-08(2)", "招标投标法实施条例第四十条第（二）项"),
    "regular_price_differences": ("BO-08(4)", "招标投标法实施条例第四十条第（四）项"),
    "cover_bidding": ("BO-07", "招标投标法实施条例第三十九条"),
    "bid_rotation": ("BO-07", "招标投标法实施条例第三十九条第二款第（二）项"),
    "discriminatory_clause": ("TD-14", "招标投标法实施条例第三十二条"),
}
MUST_RULE = {"works": "MUST-02", "goods": "MUST-03", "services": "MUST-04"}
MUST_ARTICLE = {
    "works": "必须招标的工程项目规定第五条第（一）项",
    "goods": "必须招标的工程项目规定第五条第（二）项",
    "services": "必须招标的工程项目规定第五条第（三）项",
}
WORKS_SECURITY_CAP = 800_000_00  # cents: 工程建设项目施工招标投标办法 第三十七条 (TD-09b)

# Discriminatory clauses: kind → (RULES.md row, clause text, articles). The text is a template:
# {district} 黄州区, {city} 黄冈, {brand}, {bank}, {capital} (万元).
CLAUSES: dict[str, tuple[str, str, str]] = {
    "local_registration": (
        "FC-06",
        "投标人须在{district}注册，或在{district}设立具有独立法人资格的分支机构。",
        "招标投标领域公平竞争审查规则第六条；招标投标法实施条例第三十二条",
    ),
    "local_performance": (
        "TD-14(3)",
        "投标人近三年须具有{district}行政区域内已完工的类似工程业绩，否则资格审查不予通过。",
        "招标投标法实施条例第三十二条第二款第（三）项；招标投标领域公平竞争审查规则第六条",
    ),
    "named_brand": (
        "TD-13",
        "本项目主要设备及材料须采用“{brand}”品牌产品，不接受其他品牌。",
        "招标投标法第二十条；招标投标法实施条例第三十二条第二款第（五）项",
    ),
    "registered_capital": (
        "FC-07",
        "投标人注册资本金不得低于{capital}万元人民币。",
        "招标投标领域公平竞争审查规则第七条；招标投标法实施条例第三十二条第二款第（二）项",
    ),
    "lottery_award": (
        "FC-08",
        "评标委员会推荐的合格投标人超过三家的，由招标人采用摇号方式从中确定中标人。",
        "招标投标领域公平竞争审查规则第八条",
    ),
    "guarantee_issuer": (
        "FC-11",
        "投标保证金须以{bank}开具的银行保函形式提交，其他金融机构出具的保函不予认可。",
        "招标投标领域公平竞争审查规则第十一条",
    ),
    "association_member": (
        "FC-06",
        "投标人须为{city}市建筑业协会会员单位，并提供会员证书复印件。",
        "招标投标领域公平竞争审查规则第六条",
    ),
    "ownership": (
        "TD-14(6)",
        "投标人须为国有或国有控股企业。",
        "招标投标法实施条例第三十二条第二款第（六）项",
    ),
}
CLAUSE_KINDS = tuple(CLAUSES)
# Phrases that only a discriminatory clause contains: clean documents never contain them.
CLAUSE_MARKERS = (
    "设立具有独立法人资格的分支机构",
    "行政区域内已完工的类似工程业绩",
    "品牌产品，不接受其他品牌",
    "注册资本金不得低于",
    "采用摇号方式",
    "其他金融机构出具的保函不予认可",
    "建筑业协会会员单位",
    "须为国有或国有控股企业",
)


def rate(code: str, scale: float) -> float:
    return min(1.0, RATES[code] * scale)


@dataclass(frozen=True, slots=True)
class Label:
    project_external_id: str
    lot_external_id: str
    code: str
    rule: str
    scope: str  # "lot" or "project"
    description: str
    evidence: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "project_external_id": self.project_external_id,
            "lot_external_id": self.lot_external_id,
            "code": self.code,
            "rule": self.rule,
            "scope": self.scope,
            "description": self.description,
            "evidence": self.evidence,
        }


@dataclass
class Stats:
    """What was drawn: eligible units and injected violations per code, and the totals."""

    eligible: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    projects: int = 0
    lots: int = 0
    bids: int = 0

    def as_dict(self, scale: float) -> dict[str, Any]:
        return {
            "projects": self.projects,
            "lots": self.lots,
            "bids": self.bids,
            "violations": {
                code: {
                    "rule": RULES[code][0],
                    "rate": rate(code, scale),
                    "eligible": self.eligible[code],
                    "injected": self.injected[code],
                    "observed_rate": round(self.injected[code] / self.eligible[code], 5)
                    if self.eligible[code]
                    else None,
                }
                for code in RATES
            },
        }


# -- wording ----------------------------------------------------------------------------------


def day_text(day: int | dt.date) -> str:
    d = dt.date.fromordinal(day) if isinstance(day, int) else day
    return f"{d.year}年{d.month}月{d.day}日"


def yuan(cents: int) -> str:
    """An amount as the documents write it: 3856000.00元."""
    return f"{cents // 100}.{cents % 100:02d}元"


def wan(cents: int) -> str:
    """An amount in 万元 with up to four decimals: 385.6万元."""
    text = f"{cents / 1_000_000:.4f}".rstrip("0").rstrip(".")
    return f"{text}万元"


def names(companies: list[Any]) -> str:
    return "、".join(c.name for c in companies)
