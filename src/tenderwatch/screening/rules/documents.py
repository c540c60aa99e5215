"""The tender documents: departures from the office's model documents (TD-01) and qualification
requirements above what the lot's size needs (TD-14.2).

**TD-01 — model documents (示范文本/标准文本).** 招标投标法实施条例 第十五条第三款: the standard
texts are to be used. The office uploads its model documents; a project's tender documents are
compared with the model that fits it (category, method, industry; the most specific one),
clause by clause. A clause is a line that starts with its number ("3.5 …"); unnumbered lines
(titles, chapter headings) are not compared. In the model, `{…}` or `【…】` marks a blank the
tenderer fills in (a name, an amount, a date) and matches any text. Both texts are folded
(NFKC, spaces collapsed) first. A document clause that does not match the model's clause of the
same number is *changed*; a number the model lacks is *added*; a model clause missing from the
document is *removed*. The finding lists each with the model's and the document's wording and
an inline difference (`difflib`), for the officer to judge: a departure is not a violation by
itself, it is what the office reviews.

**TD-14.2 — qualification requirements.** 实施条例 第三十二条第二款第（二）项: qualification
conditions that do not fit the project's features and real needs restrict bidders. A table
(`data/qualification_grades.json`, editable by the office through the rule's `table`
parameter) gives, per qualification type and lot estimate, the highest grade a tender may
require; requiring a higher one fires. The table is a default of the office, not a sourced
standard (U).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tenderwatch.screening.findings import Fact, Finding, LegalBasis, Severity
from tenderwatch.screening.rules.base import (
    FAIR,
    REGS,
    _,
    basis_text,
    lot_finding,
    make_finding,
    yuan,
)
from tenderwatch.screening.rules.state import EventState, ModelDocument, ProjectState

ART_15 = LegalBasis(REGS, "第十五条第三款")
ART_32_2 = LegalBasis(REGS, "第三十二条第二款第（二）项")
ART_FAIR_5 = LegalBasis(FAIR, "第五条")

# -- TD-01: comparing with the model document ----------------------------------------------------

CLAUSE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(?:[.、．]|\s)\s*")
BLANK = re.compile(r"\{[^{}]*\}|【[^【】]*】")
# Characters special in both Python's and Rust's (Polars') regular expressions.
_SPECIAL = set("\\.+*?()|[]{}^$")
SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """For matching: NFKC (full-width forms folded), spaces collapsed."""
    return SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def tidy(text: str) -> str:
    """For showing: the line as written, spaces collapsed."""
    return SPACES.sub(" ", text).strip()


def escape(text: str) -> str:
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def clauses(text: str) -> dict[str, tuple[str, str]]:
    """Numbered clauses of a text: number → (the line as written, folded); first one wins."""
    out: dict[str, tuple[str, str]] = {}
    for raw in text.splitlines():
        line = fold(raw)
        match = CLAUSE.match(line)
        if match is not None:
            out.setdefault(match.group(1), (tidy(raw), line))
    return out


@dataclass(frozen=True)
class ModelClause:
    number: str
    text: str  # as the model writes it, blanks included
    pattern: str  # a regular expression for the whole folded line (Python and Rust syntax)

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def matches(self, line: str) -> bool:
        return self.regex.fullmatch(line) is not None


def _pattern(line: str) -> str:
    parts = []
    last = 0
    for m in BLANK.finditer(line):
        parts.append(escape(line[last : m.start()]))
        parts.append(".*?")
        last = m.end()
    parts.append(escape(line[last:]))
    return "^" + "".join(parts) + "$"


@functools.lru_cache(maxsize=64)
def compile_model(text: str) -> tuple[ModelClause, ...]:
    """The model's numbered clauses with their patterns (cached per text)."""
    return tuple(
        ModelClause(n, shown, _pattern(folded)) for n, (shown, folded) in clauses(text).items()
    )


@dataclass(frozen=True)
class Change:
    number: str
    kind: str  # "changed", "added", "removed"
    model: str
    document: str
    diff: str

    def as_dict(self) -> dict[str, str]:
        return {
            "number": self.number,
            "kind": self.kind,
            "model": self.model,
            "document": self.document,
            "diff": self.diff,
        }


PHRASE = re.compile(r"([，。；：、！？,.;:!?“”])")


def inline_diff(old: str, new: str) -> str:
    """Differences phrase by phrase (split at punctuation) as [-removed-]{+added+}, the
    unchanged phrases between: what an officer reads to see what was changed."""
    a = [t for t in PHRASE.split(old) if t]
    b = [t for t in PHRASE.split(new) if t]
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append("".join(a[a1:a2]))
        if op in ("delete", "replace"):
            out.append(f"[-{''.join(a[a1:a2])}-]")
        if op in ("insert", "replace"):
            out.append(f"{{+{''.join(b[b1:b2])}+}}")
    return "".join(out)


# A batch that compared its documents already (`columnar.build`, once per document and model)
# lends its results to the wording of the findings: {(model text, document text): changes}.
COMPARED: ContextVar[Mapping[tuple[str, str], list[Change]] | None] = ContextVar(
    "tenderwatch_td01_compared", default=None
)


def compare(model_text: str, document_text: str) -> list[Change]:
    """The clauses of the document that depart from the model (see the module's docstring)."""
    done = COMPARED.get()
    if done is not None:
        found = done.get((model_text, document_text))
        if found is not None:
            return list(found)
    return compare_clauses(compile_model(model_text), clauses(document_text))


def compare_clauses(
    model: Sequence[ModelClause], doc: Mapping[str, tuple[str, str]]
) -> list[Change]:
    """`compare` on parsed texts: the model's clauses and the document's (number → (shown,
    folded))."""
    numbers = {c.number for c in model}
    changes = []
    for clause in model:
        found = doc.get(clause.number)
        if found is None:
            changes.append(Change(clause.number, "removed", clause.text, "", ""))
            continue
        shown, folded = found
        if not clause.matches(folded):
            changes.append(
                Change(
                    clause.number, "changed", clause.text, shown, inline_diff(clause.text, shown)
                )
            )
    for number, (shown, _folded) in doc.items():
        if number not in numbers:
            changes.append(Change(number, "added", "", shown, f"{{+{shown}+}}"))
    return sorted(changes, key=lambda c: _number_key(c.number))


def _number_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split("."))


def model_for(state: ProjectState) -> ModelDocument | None:
    """The model document that fits the project best (see `select_model`)."""
    project = state.project
    return select_model(state.model_documents, project.category, project.method, project.industry)


def select_model(
    models: Sequence[ModelDocument], category: str, method: str, industry: str
) -> ModelDocument | None:
    """Each of category, method and industry a model names must match; among those, the one
    naming the most of them, then the newest (version, then id)."""
    best: tuple[int, int, int] | None = None
    found = None
    for model in models:
        if model.category and model.category != category:
            continue
        if model.methods and method not in model.methods:
            continue
        if model.industry and model.industry != industry:
            continue
        named = bool(model.category) + bool(model.methods) + bool(model.industry)
        score = (named, model.version, model.id)
        if best is None or score > best:
            best, found = score, model
    return found


def tender_documents(state: ProjectState) -> tuple[EventState, str] | None:
    """The tender documents' issue step and text, where the ledger has the text."""
    for event in state.of_kind("tender_documents_issued"):
        text = state.text_of(event)
        if text:
            return event, text
    return None


def _kind_word(kind: str) -> str:
    return {"changed": _("modified"), "added": _("added"), "removed": _("removed")}[kind]


def check_td01(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第十五条第三款: the tender documents use the standard (model) texts.
    Lists the clauses that depart from the office's model document (see the module)."""
    found = tender_documents(state)
    model = model_for(state)
    if found is None or model is None:
        return []
    event, text = found
    changes = compare(model.text, text)
    if not changes:
        return []
    limit = int(params["max_listed"])
    listed = "、".join(
        _("clause %(number)s %(kind)s") % {"number": c.number, "kind": _kind_word(c.kind)}
        for c in changes[:limit]
    )
    if len(changes) > limit:
        listed += _(" and %(more)d more") % {"more": len(changes) - limit}
    quoted = next((c for c in changes if c.kind != "removed"), changes[0])
    text_out = _(
        "The tender documents depart from the model document “%(model)s” in %(count)d clauses: "
        "%(listed)s; e.g. clause %(number)s reads “%(quote)s” (%(basis)s)"
    ) % {
        "model": model.title,
        "count": len(changes),
        "listed": listed,
        "number": quoted.number,
        "quote": quoted.document or quoted.model,
        "basis": basis_text((ART_15,)),
    }
    ref = f"document:{event.document_sha256}" if event.document_sha256 else event.ref
    facts = [Fact(_("Model document"), f"{model.title}（v{model.version}）", f"model:{model.id}")]
    for change in changes[:limit]:
        facts.append(
            Fact(
                _("Clause %(number)s (%(kind)s)")
                % {"number": change.number, "kind": _kind_word(change.kind)},
                change.document or change.model,
                ref,
            )
        )
    return [
        make_finding(
            "TD-01",
            state,
            explanation=text_out,
            basis=(ART_15, ART_FAIR_5),
            facts=facts,
            key=f"model:{model.id}",
            severity=Severity.MEDIUM,
            event_id=event.id,
            data={"model": model.id, "changes": [c.as_dict() for c in changes]},
        )
    ]


def has_documents(state: ProjectState) -> bool:
    return bool(state.model_documents) and bool(state.documents)


# -- TD-14.2: qualification requirements against the lot's size -----------------------------------

GRADES: dict[str, int] = {
    "特级": 0,
    "一级": 1,
    "甲级": 1,
    "二级": 2,
    "乙级": 2,
    "三级": 3,
    "丙级": 3,
}
GRADE = re.compile("|".join(GRADES))
DATA = Path(__file__).with_name("data") / "qualification_grades.json"


@dataclass(frozen=True)
class GradeRow:
    match: str
    up_to: Decimal | None  # None: no upper bound
    max_grade: str

    @property
    def rank(self) -> int:
        return GRADES[self.max_grade]


@functools.lru_cache(maxsize=1)
def default_table() -> tuple[GradeRow, ...]:
    rows = json.loads(DATA.read_text(encoding="utf-8"))["rows"]
    return tuple(
        GradeRow(
            r["match"],
            Decimal(str(r["up_to"])) if r.get("up_to") is not None else None,
            r["max_grade"],
        )
        for r in rows
    )


def default_table_text() -> str:
    return "\n".join(
        f"{r.match} | {'' if r.up_to is None else r.up_to} | {r.max_grade}" for r in default_table()
    )


@functools.lru_cache(maxsize=16)
def parse_table(text: str) -> tuple[GradeRow, ...]:
    """The office's table: one row a line, "资质类别关键词 | 估算价上限（元，空为不限） |
    最高可要求等级"; "|", "｜", "，" or "," separate the columns. Empty: the default table.
    ValueError (Chinese) naming the first bad line."""
    text = (text or "").strip()
    if not text:
        return default_table()
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in re.split(r"[|｜,，]", line)]
        if len(cells) != 3 or not cells[0]:
            raise ValueError(
                _("Line %(n)d: write a type, an amount in yuan (or nothing) and a grade, "
                  "separated by |.") % {"n": n}
            )  # fmt: skip
        grade = cells[2]
        if grade not in GRADES:
            raise ValueError(
                _(
                    "Line %(n)d: %(grade)s is not a grade "
                    "(特级、一级、二级、三级、甲级、乙级、丙级)."
                )
                % {"n": n, "grade": grade}
            )
        amount: Decimal | None
        try:
            amount = Decimal(cells[1].replace("元", "")) if cells[1] else None
        except InvalidOperation as exc:
            raise ValueError(
                _("Line %(n)d: %(amount)s is not an amount in yuan.") % {"n": n, "amount": cells[1]}
            ) from exc
        rows.append(GradeRow(cells[0], amount, grade))
    return tuple(rows)


def validate_table(value: Any) -> None:
    parse_table(str(value or ""))


def required_grade(requirement: Mapping[str, Any]) -> tuple[str, str] | None:
    """(type, grade) a requirement asks for: the grade word in its grade (else its type)."""
    kind = str(requirement.get("type") or requirement.get("category") or "")
    grade_text = str(requirement.get("grade") or "")
    match = GRADE.search(grade_text) or GRADE.search(kind)
    if match is None:
        return None
    return kind, match.group(0)


def highest_allowed(table: Sequence[GradeRow], kind: str, amount: Decimal) -> GradeRow | None:
    """The row that caps the grade for this type and amount (None: no cap)."""
    for row in sorted(
        (r for r in table if r.match and r.match in kind),
        key=lambda r: (r.up_to is None, r.up_to or 0),
    ):
        if row.up_to is None or amount <= row.up_to:
            return row
    return None


def check_td14q(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第三十二条第二款第（二）项: a qualification grade above what the lot's
    size needs (by the office's table) restricts bidders unreasonably."""
    try:
        table = parse_table(str(params.get("table") or ""))
    except ValueError:
        table = default_table()
    event = state.first("tender_documents_issued") or state.first("announcement")
    out = []
    for lot in state.lots:
        amount = lot.estimated_amount or (
            state.project.estimated_amount if len(state.lots) == 1 else None
        )
        if amount is None:
            continue
        problems = []
        facts = [Fact(_("Estimated price"), amount, f"lot:{lot.id}")]
        for requirement in lot.qualification_requirements:
            found = required_grade(requirement)
            if found is None:
                continue
            kind, grade = found
            row = highest_allowed(table, kind, amount)
            if row is None or GRADES[grade] >= row.rank:
                continue
            problems.append(
                _("%(type)s %(grade)s is required, while for a lot estimated at up to %(limit)s "
                  "at most %(allowed)s may be")
                % {
                    "type": kind,
                    "grade": grade,
                    "limit": yuan(row.up_to) if row.up_to is not None else "—",
                    "allowed": row.max_grade,
                }
            )  # fmt: skip
            asked = f"{kind} {requirement.get('grade', '')}".strip()
            facts.append(Fact(_("Qualification required"), asked, f"lot:{lot.id}"))
            facts.append(Fact(_("Highest grade the table allows"), row.max_grade))
        if not problems:
            continue
        text = _(
            "The qualification required for this lot (estimated at %(amount)s) is above what its "
            "size needs: %(problems)s (%(basis)s)"
        ) % {
            "amount": yuan(amount),
            "problems": _("; ").join(problems),
            "basis": basis_text((ART_32_2,)),
        }
        out.append(
            lot_finding(
                "TD-14.2",
                state,
                lot,
                text=text,
                basis=(ART_32_2,),
                facts=facts,
                severity=Severity.MEDIUM,
                event_id=event.id if event is not None else None,
            )
        )
    return out


def has_requirements(state: ProjectState) -> bool:
    return any(lot.qualification_requirements for lot in state.lots)


__all__ = [
    "ART_15",
    "ART_32_2",
    "Change",
    "GradeRow",
    "ModelClause",
    "check_td01",
    "check_td14q",
    "clauses",
    "compare",
    "compile_model",
    "default_table",
    "default_table_text",
    "has_documents",
    "has_requirements",
    "model_for",
    "parse_table",
    "required_grade",
    "validate_table",
]
