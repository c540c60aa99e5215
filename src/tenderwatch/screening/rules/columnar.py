"""The rules over a whole province at once: a columnar copy of many `ProjectState`s in Polars
frames, and for each rule a query that finds the projects it fires on.

Why. A rule's per-lot function (the reference, `screening.rules.*`) costs tens of microseconds a
project in Python; a province (200,000 lots) is screened as one Polars batch instead (DESIGN.md,
"screening at scale"). The decision — which projects a rule fires on — is made by the queries
here over all rows at once; the finding itself (its facts, its explanation in Chinese, its key)
is then made by the rule's own function on the few projects that fired, so both paths word a
finding the same way. `run_columnar` returns exactly what `state.run_rules` returns, and a test
keeps them in agreement on generated and hand-made states.

Exact and candidate queries. For most rules the query reproduces the reference's decision
exactly (`EXACT`; the agreement test checks that the query fires on precisely the projects the
reference fires on). For the objection rules (TD-07, AW-02 and their sweeps) the query only
selects the projects that have an objection (rare) and the reference decides.

Documents (TD-01, and AW-06c's duration) are read once per document hash (`DocumentIndex`):
their clauses, the duration they state, and their comparison with each model document (by the
model's id, version and text) — a document never changes under its hash, so a province batch
(or the next one) does not parse or compare it again; `build` does this work and it is timed
with it. The comparisons are lent to the wording of TD-01's findings (`documents.COMPARED`).

What the frames hold (one row per …): `projects` (project), `lots` (lot: its amounts, bids
counted, committee counted, award and contract), `events` (procedure event: kind, lot, time,
the data fields rules read), `requirements` (qualification requirement), `approvals` (the
project's own approval fields and the approved-list rows), `siblings` (a split candidate's
other projects), `compared` (project and document: departs from its model or not). Times are
epoch seconds, days are ordinals (China dates), money in cents.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from tenderwatch.screening.findings import Finding
from tenderwatch.screening.rules import bidding, documents, must
from tenderwatch.screening.rules.base import wording
from tenderwatch.screening.rules.days import DayTable
from tenderwatch.screening.rules.state import NOT_TENDERED, TENDERED, ProjectState

log = logging.getLogger("tenderwatch.screening.rules")

# Event kinds the queries read (others are not copied).
KINDS = (
    "announcement",
    "tender_documents_issued",
    "tender_documents_sale_end",
    "prequalification_issued",
    "prequalification_deadline",
    "clarification",
    "amendment",
    "objection",
    "bid_deadline",
    "opening",
    "evaluation_report",
    "candidate_publicity_start",
    "candidate_publicity_end",
    "award_notice",
    "contract_signed",
    "supervisor_report",
    "suspension",
    "resumption",
    "termination",
    "retender",
)
_KINDS = frozenset(KINDS)
PREQ_STAGES = {"prequalification", "资格预审", "prequalification_documents"}
OTHER_STAGES = {
    "tender_documents",
    "招标文件",
    "result",
    "评标结果",
    "evaluation_result",
    "opening",
    "开标",
}
CANDIDATE_ONLY = frozenset({"TD-07", "TD-07s", "AW-02", "AW-02s"})
NOTHING = frozenset({"MUST-10"})


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def _epoch(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _ordinal(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).date().toordinal()


def _int(value: Any) -> int | None:
    """An integer as the reference reads it (`isinstance(value, int)`: a bool counts)."""
    return int(value) if isinstance(value, int) else None


def _falsy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("false", "0", "no", "否", "")
    return value is False or value == 0


@dataclass
class DocumentIndex:
    """What the rules need of one document, computed once for its hash: its numbered clauses
    (`documents.clauses`), the one duration it states (`award.tender_duration`), and its
    comparison with each model document it was compared with (by the model's id, version and
    text): documents never change under their hash, models change by version."""

    clauses: dict[str, tuple[str, str]]
    duration: int | None
    compared: dict[tuple[int, int, str], list[documents.Change]] = field(default_factory=dict)


def document_index(text: str) -> DocumentIndex:
    from tenderwatch.screening.rules.award import DURATION

    found = {int(m.group(1)) for m in DURATION.finditer(text)}
    return DocumentIndex(documents.clauses(text), found.pop() if len(found) == 1 else None)


# -- the columnar state ---------------------------------------------------------------------------


@dataclass
class Columns:
    states: Sequence[ProjectState]
    projects: pl.DataFrame
    lots: pl.DataFrame
    events: pl.DataFrame
    requirements: pl.DataFrame
    approvals: pl.DataFrame
    siblings: pl.DataFrame
    # Per (project, document): whether the document departs from the project's model.
    compared: pl.DataFrame
    compared_changes: dict[tuple[str, str], list[Any]]
    models: list[Any]
    calendar: DayTable | None
    _cache: dict[str, pl.DataFrame] = field(default_factory=dict)
    _groups: dict[str, dict[str, pl.DataFrame]] = field(default_factory=dict)
    # Seconds spent in `build` on documents (parsing, comparing) and on the timeline.
    timings: dict[str, float] = field(default_factory=dict)

    def cached(self, name: str, make: Any) -> pl.DataFrame:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]


def _frame(columns: dict[str, list[Any]], types: Mapping[str, Any]) -> pl.DataFrame:
    return pl.DataFrame({k: pl.Series(k, v, dtype=types[k]) for k, v in columns.items()})


P_TYPES = {
    "idx": pl.Int32,
    "method": pl.String,
    "category": pl.String,
    "industry": pl.String,
    "must": pl.Boolean,
    "funded": pl.Boolean,
    "currency": pl.String,
    "est": pl.Int64,
    "reg_day": pl.Int32,
    "tenderer": pl.Int64,
    "name": pl.String,
    "ap_method": pl.String,
    "ap_form": pl.String,
    "ap_scope": pl.String,
    "org_form": pl.String,
    "today": pl.Int32,
    "model": pl.Int32,
    "has_docs": pl.Boolean,
    "has_models": pl.Boolean,
    "has_siblings": pl.Boolean,
}
L_TYPES = {
    "idx": pl.Int32,
    "lot": pl.Int64,
    "est": pl.Int64,
    "security": pl.Int64,
    "rec_open": pl.Int64,
    "rec_bids": pl.Int32,
    "n_bids": pl.Int32,
    "c_size": pl.Int32,
    "c_experts": pl.Int32,
    "aw_day": pl.Int32,
    "aw_bidder": pl.Int64,
    "aw_amount": pl.Int64,
    "has_award": pl.Boolean,
    "ct_day": pl.Int32,
    "ct_supplier": pl.Int64,
    "ct_amount": pl.Int64,
    "ct_duration": pl.Int32,
    "ct_ps": pl.Int64,
    "has_contract": pl.Boolean,
}
E_TYPES = {
    "idx": pl.Int32,
    "pos": pl.Int32,
    "seq": pl.Int64,
    "lot": pl.Int64,
    "kind": pl.Enum(KINDS),
    "at": pl.Int64,
    "day": pl.Int32,
    "sha": pl.String,
    "not_material": pl.Boolean,
    "stage": pl.String,
    "pq_sale_end": pl.Int32,
    "bids_data": pl.Int32,
    "duration_data": pl.Int32,
}


def build(
    states: Sequence[ProjectState],
    *,
    clause_index: dict[str, Any] | None = None,
    prepare: bool = True,
) -> Columns:
    """The columnar copy of `states` (their row number is `idx`). `clause_index` keeps each
    document's `DocumentIndex` by its hash across calls (documents never change under their
    hash). With `prepare`, the timeline is resolved here too (`prepare_timeline`)."""
    p: dict[str, list[Any]] = {k: [] for k in P_TYPES}
    lo: dict[str, list[Any]] = {k: [] for k in L_TYPES}
    ev: dict[str, list[Any]] = {k: [] for k in E_TYPES}
    rq: dict[str, list[Any]] = {"idx": [], "lot": [], "kind": [], "grade": [], "amount": []}
    ap: dict[str, list[Any]] = {"idx": [], "method": [], "form": [], "scope": []}
    sb: dict[str, list[Any]] = {
        "idx": [],
        "category": [],
        "method": [],
        "est": [],
        "day": [],
        "name": [],
    }
    index = clause_index if clause_index is not None else {}
    added: set[str] = set()
    indexed, document_seconds = 0, 0.0
    durations: dict[str, int | None] = {}
    compared: dict[tuple[str, str], list[documents.Change]] = {}
    cmp: dict[str, list[Any]] = {"idx": [], "sha": [], "changed": []}
    models: list[Any] = []
    model_keys: dict[tuple[Any, ...], int | None] = {}
    calendar = next((s.calendar for s in states if s.calendar is not None), None)

    for i, state in enumerate(states):
        info = state.project
        p["idx"].append(i)
        p["method"].append(info.method)
        p["category"].append(info.category)
        p["industry"].append(info.industry)
        p["must"].append(info.must_tender)
        p["funded"].append(info.state_funded)
        p["currency"].append(info.currency.upper())
        p["est"].append(_cents(info.estimated_amount))
        p["reg_day"].append(_ordinal(info.registered_at))
        p["tenderer"].append(info.tenderer_id)
        p["name"].append(info.name)
        p["ap_method"].append(info.approved_method)
        p["ap_form"].append(info.approved_form)
        p["ap_scope"].append(info.approved_scope)
        p["org_form"].append(info.organisation_form)
        p["today"].append(state.today.toordinal() if state.today else None)
        p["has_docs"].append(bool(state.documents))
        p["has_models"].append(bool(state.model_documents))
        p["has_siblings"].append(bool(state.siblings))
        mkey = (id(state.model_documents), info.category, info.method, info.industry)
        if mkey not in model_keys:
            chosen = documents.select_model(
                state.model_documents, info.category, info.method, info.industry
            )
            if chosen is None:
                model_keys[mkey] = None
            else:
                if chosen not in models:
                    models.append(chosen)
                model_keys[mkey] = models.index(chosen)
        p["model"].append(model_keys[mkey])

        single = len(state.lots) == 1
        for lot in state.lots:
            lo["idx"].append(i)
            lo["lot"].append(lot.id)
            lo["est"].append(_cents(lot.estimated_amount))
            lo["security"].append(_cents(lot.bid_security))
            record = state.openings.get(lot.id)
            lo["rec_open"].append(_epoch(record.opened_at) if record else None)
            lo["rec_bids"].append(record.bids_received if record else None)
            lo["n_bids"].append(
                sum(1 for b in state.bids if b.lot_id == lot.id and b.status != "withdrawn")
            )
            members = state.committees.get(lot.id) or ()
            lo["c_size"].append(len(members) if members else None)
            lo["c_experts"].append(sum(1 for m in members if m.is_expert) if members else None)
            award = state.awards.get(lot.id)
            lo["has_award"].append(award is not None)
            lo["aw_day"].append(_ordinal(award.notice_at) if award else None)
            lo["aw_bidder"].append(award.bidder_id if award else None)
            lo["aw_amount"].append(_cents(award.amount) if award else None)
            contract = state.contracts.get(lot.id)
            lo["has_contract"].append(contract is not None)
            lo["ct_day"].append(_ordinal(contract.signed_at) if contract else None)
            lo["ct_supplier"].append(contract.supplier_id if contract else None)
            lo["ct_amount"].append(_cents(contract.amount) if contract else None)
            lo["ct_duration"].append(contract.duration_days if contract else None)
            lo["ct_ps"].append(_cents(contract.performance_security) if contract else None)
            amount = lot.estimated_amount or (info.estimated_amount if single else None)
            for req in lot.qualification_requirements:
                rq["idx"].append(i)
                rq["lot"].append(lot.id)
                rq["kind"].append(str(req.get("type") or req.get("category") or ""))
                rq["grade"].append(str(req.get("grade") or ""))
                rq["amount"].append(_cents(amount))

        for pos, event in enumerate(state.events):
            if event.kind not in _KINDS:
                continue
            data = event.data
            ev["idx"].append(i)
            ev["pos"].append(pos)
            ev["seq"].append(event.seq)
            ev["lot"].append(event.lot_id)
            ev["kind"].append(event.kind)
            ev["at"].append(int(event.at.timestamp()))
            ev["day"].append(event.day.toordinal())
            ev["sha"].append(event.document_sha256)
            ev["not_material"].append("material" in data and _falsy(data.get("material")))
            stage = str(data.get("stage") or data.get("documents") or "").strip().lower()
            ev["stage"].append(stage)
            sale_end = None
            if event.kind == "prequalification_issued":
                from tenderwatch.screening.rules.tender import _date

                found = _date(data.get("sale_end"))
                sale_end = found.toordinal() if found else None
            ev["pq_sale_end"].append(sale_end)
            ev["bids_data"].append(_int(data.get("bids_received")))
            duration = _int(data.get("duration_days"))
            ev["duration_data"].append(duration if duration and duration > 0 else None)

        if info.approved_method or info.approved_form or info.approved_scope:
            ap["idx"].append(i)
            ap["method"].append(info.approved_method)
            ap["form"].append(info.approved_form)
            ap["scope"].append(info.approved_scope)
        for approval in state.approvals:
            ap["idx"].append(i)
            ap["method"].append(approval.approved_method)
            ap["form"].append(approval.approved_form)
            ap["scope"].append(approval.approved_scope)

        if state.siblings and info.method in NOT_TENDERED:
            for other in state.siblings:
                sb["idx"].append(i)
                sb["category"].append(other.category)
                sb["method"].append(other.method)
                sb["est"].append(_cents(other.estimated_amount))
                sb["day"].append(other.registered_on.toordinal() if other.registered_on else None)
                sb["name"].append(other.name)

        model_key = model_keys[mkey]
        chosen_model = models[model_key] if model_key is not None else None
        for sha, text in state.documents.items():
            if not text:
                continue
            entry = index.get(sha)
            if entry is None:
                started = time.perf_counter()
                entry = index[sha] = document_index(text)
                document_seconds += time.perf_counter() - started
                indexed += 1
            if chosen_model is not None:
                mk = (chosen_model.id, chosen_model.version, chosen_model.text)
                changes = entry.compared.get(mk)
                if changes is None:
                    started = time.perf_counter()
                    changes = entry.compared[mk] = documents.compare_clauses(
                        documents.compile_model(chosen_model.text), entry.clauses
                    )
                    document_seconds += time.perf_counter() - started
                compared[(chosen_model.text, text)] = changes
                cmp["idx"].append(i)
                cmp["sha"].append(sha)
                cmp["changed"].append(bool(changes))
            if sha in added:
                continue
            added.add(sha)
            durations[sha] = entry.duration

    doc_rows: dict[str, list[Any]] = {"idx": [], "sha": [], "duration": []}
    for i, state in enumerate(states):
        for sha, text in state.documents.items():
            if text:
                doc_rows["idx"].append(i)
                doc_rows["sha"].append(sha)
                doc_rows["duration"].append(durations.get(sha))

    columns = Columns(
        states=states,
        projects=_frame(p, P_TYPES),
        lots=_frame(lo, L_TYPES),
        events=_frame(ev, E_TYPES),
        requirements=_frame(
            rq,
            {
                "idx": pl.Int32,
                "lot": pl.Int64,
                "kind": pl.String,
                "grade": pl.String,
                "amount": pl.Int64,
            },
        ),
        approvals=_frame(
            ap, {"idx": pl.Int32, "method": pl.String, "form": pl.String, "scope": pl.String}
        ),
        siblings=_frame(
            sb,
            {
                "idx": pl.Int32,
                "category": pl.String,
                "method": pl.String,
                "est": pl.Int64,
                "day": pl.Int32,
                "name": pl.String,
            },
        ),
        compared=_frame(cmp, {"idx": pl.Int32, "sha": pl.String, "changed": pl.Boolean}),
        compared_changes=compared,
        models=models,
        calendar=calendar,
    )
    columns._cache["texts"] = _frame(
        doc_rows, {"idx": pl.Int32, "sha": pl.String, "duration": pl.Int32}
    )
    columns.timings["documents"] = document_seconds
    columns.timings["documents_indexed"] = indexed
    if prepare:
        started = time.perf_counter()
        prepare_timeline(columns)
        columns.timings["timeline"] = time.perf_counter() - started
    return columns


IN_FORCE = (
    "bid_deadline",
    "opening",
    "evaluation_report",
    "candidate_publicity_end",
    "award_notice",
    "contract_signed",
    "supervisor_report",
    "tender_documents_issued",
    "prequalification_deadline",
)


def prepare_timeline(c: Columns) -> None:
    """Resolve the timeline once, as `ProjectState.build` indexes its events: the current round,
    and per lot and kind the step in force and the first step (every rule reads these; no
    parameter changes them)."""
    for kind in IN_FORCE:
        in_force(c, kind)
    for kind in ("tender_documents_issued", "announcement", "candidate_publicity_start"):
        earliest(c, kind)
    for kind in ("prequalification_deadline", "bid_deadline", "tender_documents_sale_end"):
        project_in_force(c, kind)
    for kind in ("tender_documents_issued", "announcement", "prequalification_issued"):
        project_first(c, kind)
    _deadline_targets(c)
    _awarded_lots(c)
    _halted(c)
    _publicity(c)
    _notices(c)
    _amounts(c)
    _tender_durations(c)


# -- shared derivations ---------------------------------------------------------------------------


def _events(c: Columns) -> pl.DataFrame:
    """The current round's events (after the last re-tendering)."""

    def make() -> pl.DataFrame:
        e = c.events
        last = (
            e.filter(pl.col("kind") == "retender")
            .group_by("idx")
            .agg(pl.col("pos").max().alias("rpos"))
        )
        return (
            e.join(last, on="idx", how="left")
            .filter(pl.col("rpos").is_null() | (pl.col("pos") > pl.col("rpos")))
            .drop("rpos")
        )

    return c.cached("events", make)


def _pick(frame: pl.DataFrame, keys: list[str], newest: bool) -> pl.DataFrame:
    """One event per key: the newest received (max seq) or the earliest (min pos)."""
    col = "seq" if newest else "pos"
    agg = pl.col(col).max() if newest else pl.col(col).min()
    return frame.filter(pl.col(col) == agg.over(keys))


def _picked(c: Columns, which: str, kind: str) -> pl.DataFrame:
    """The events of `kind` picked per lot ("own"), per project among the shared ones
    ("shared") or per project among all ("any"), newest or first: all kinds in one pass."""
    key = f"picked:{which}"

    def make() -> dict[str, pl.DataFrame]:
        e = _events(c)
        level, newest = which.split(":")
        if level == "own":
            frame, keys = e.filter(pl.col("lot").is_not_null()), ["idx", "lot", "kind"]
        elif level == "shared":
            frame, keys = e.filter(pl.col("lot").is_null()), ["idx", "kind"]
        else:
            frame, keys = e, ["idx", "kind"]
        picked = _pick(frame, keys, newest == "new")
        return {k: v for (k,), v in picked.partition_by("kind", as_dict=True).items()}

    if key not in c._groups:
        c._groups[key] = make()
    found = c._groups[key].get(kind)
    if found is None:
        return _events(c).clear()
    return found


FIELDS = ("at", "day", "lot", "seq", "pos", "sha", "bids_data", "duration_data")


def _rename(frame: pl.DataFrame, prefix: str, keep: Sequence[str]) -> pl.DataFrame:
    return frame.select(*keep, *(pl.col(f).alias(f"{prefix}_{f}") for f in FIELDS if f not in keep))


def in_force(c: Columns, kind: str) -> pl.DataFrame:
    """Per lot (idx, lot): `state.in_force(kind, lot)` — the lot's own newest, else the
    project's newest shared step — as columns `<kind>_at`, `_day`, `_lot`, …"""

    def make() -> pl.DataFrame:
        own = _picked(c, "own:new", kind)
        shared = _picked(c, "shared:new", kind)
        base = c.lots.select("idx", "lot")
        a = base.join(_rename(own, "o", ["idx", "lot"]), on=["idx", "lot"], how="left")
        a = a.join(_rename(shared, "s", ["idx"]), on="idx", how="left")
        own_found = pl.col("o_seq").is_not_null()
        return a.select(
            "idx",
            "lot",
            *(
                pl.when(own_found)
                .then(pl.col(f"o_{f}" if f != "lot" else "lot"))
                .otherwise(pl.col(f"s_{f}"))
                .alias(f"{kind}_{f}")
                for f in FIELDS
            ),
        ).with_columns(
            pl.when(pl.col(f"{kind}_seq").is_null())
            .then(None)
            .otherwise(pl.col(f"{kind}_lot"))
            .alias(f"{kind}_lot")
        )

    return c.cached(f"in_force:{kind}", make)


def earliest(c: Columns, kind: str) -> pl.DataFrame:
    """Per lot: `state.first(kind, lot)` — the earliest of the lot's own and the shared steps."""

    def make() -> pl.DataFrame:
        own = _picked(c, "own:first", kind)
        shared = _picked(c, "shared:first", kind)
        base = c.lots.select("idx", "lot")
        a = base.join(_rename(own, "o", ["idx", "lot"]), on=["idx", "lot"], how="left")
        a = a.join(_rename(shared, "s", ["idx"]), on="idx", how="left")
        use_own = pl.col("o_pos").is_not_null() & (
            pl.col("s_pos").is_null() | (pl.col("o_pos") < pl.col("s_pos"))
        )
        return a.select(
            "idx",
            "lot",
            *(
                pl.when(use_own)
                .then(pl.col(f"o_{f}") if f != "lot" else pl.col("lot"))
                .otherwise(pl.col(f"s_{f}") if f != "lot" else pl.lit(None, pl.Int64))
                .alias(f"{kind}_{f}")
                for f in FIELDS
            ),
        )

    return c.cached(f"earliest:{kind}", make)


def project_in_force(c: Columns, kind: str) -> pl.DataFrame:
    """Per project: `state.in_force(kind)` — the newest shared step, else the newest of any."""

    def make() -> pl.DataFrame:
        shared = _picked(c, "shared:new", kind)
        anyone = _picked(c, "any:new", kind)
        base = c.projects.select("idx")
        a = base.join(_rename(shared, "s", ["idx"]), on="idx", how="left")
        a = a.join(_rename(anyone, "a", ["idx"]), on="idx", how="left")
        found = pl.col("s_seq").is_not_null()
        return a.select(
            "idx",
            *(
                pl.when(found)
                .then(pl.col(f"s_{f}"))
                .otherwise(pl.col(f"a_{f}"))
                .alias(f"{kind}_{f}")
                for f in FIELDS
            ),
        )

    return c.cached(f"project_in_force:{kind}", make)


def project_first(c: Columns, kind: str) -> pl.DataFrame:
    """Per project: `state.first(kind)` — the earliest step of the kind, any lot."""

    def make() -> pl.DataFrame:
        return _rename(_picked(c, "any:first", kind), kind, ["idx"])

    return c.cached(f"project_first:{kind}", make)


def _with_project(c: Columns, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.join(c.projects, on="idx", how="left")


def _tendered() -> pl.Expr:
    return pl.col("method").is_in(list(TENDERED))


def _must_tendered() -> pl.Expr:
    return _tendered() & pl.col("must").fill_null(False)


def _roll(c: Columns, day: pl.Expr, roll: bool) -> pl.Expr:
    """`days.deadline(...).day` as an expression: the first working day on or after `day` where
    the calendar covers it, else `day` itself (民法典 第二百零三条)."""
    table = c.calendar
    if not roll or table is None:
        return day
    olds, news = [], []
    for offset, target in enumerate(table.on_or_after):
        if target >= 0 and target != table.first + offset:
            olds.append(table.first + offset)
            news.append(target)
    return day.replace(olds, news)


def _idx(frame: pl.DataFrame) -> set[int]:
    return set(frame.get_column("idx").unique().to_list())


def _awarded_lots(c: Columns) -> pl.DataFrame:
    """Per lot: the award day (record, else the step) and the contract day (record, else step),
    with the project's `_awarded` applicability."""

    def make() -> pl.DataFrame:
        notice = in_force(c, "award_notice")
        signed = in_force(c, "contract_signed")
        any_notice = (
            _events(c)
            .filter(pl.col("kind") == "award_notice")
            .select("idx")
            .unique()
            .with_columns(pl.lit(True).alias("has_notice"))
        )
        any_award = c.lots.group_by("idx").agg(pl.col("has_award").any().alias("any_award"))
        f = c.lots.join(notice, on=["idx", "lot"]).join(signed, on=["idx", "lot"])
        f = f.join(any_notice, on="idx", how="left").join(any_award, on="idx", how="left")
        return _with_project(c, f).with_columns(
            pl.coalesce(pl.col("aw_day"), pl.col("award_notice_day")).alias("award_day"),
            pl.coalesce(pl.col("ct_day"), pl.col("contract_signed_day")).alias("signed_day"),
            (_tendered() & (pl.col("any_award") | pl.col("has_notice").fill_null(False))).alias(
                "awarded"
            ),
        )

    return c.cached("awarded", make)


def _halted(c: Columns) -> pl.DataFrame:
    """Per project: suspended (not resumed) or terminated, by the last such step."""

    def make() -> pl.DataFrame:
        e = _events(c).filter(pl.col("kind").is_in(["suspension", "resumption", "termination"]))
        latest = e.filter(pl.col("at") == pl.col("at").max().over("idx"))
        last = latest.filter(pl.col("seq") == pl.col("seq").max().over("idx")).select(
            "idx", pl.col("kind").is_in(["suspension", "termination"]).alias("halted")
        )
        return (
            c.projects.select("idx")
            .join(last, on="idx", how="left")
            .with_columns(pl.col("halted").fill_null(False))
        )

    return c.cached("halted", make)


def _fraction(value: Any) -> Fraction:
    return Fraction(Decimal(str(value)))


def _cap_exceeded(amount: str, base: str, percent: Any) -> pl.Expr:
    """amount (cents) > `base.cap_amount(base, percent)` in cents: the cap to the whole yuan,
    half up, in integers."""
    share = _fraction(percent)
    num, den = share.numerator, share.denominator
    cap_yuan = (pl.col(base) * (2 * num) + den * 10000) // (2 * den * 10000)
    return pl.col(amount) > cap_yuan * 100


# -- the queries, rule by rule --------------------------------------------------------------------


def q_td05(c: Columns, params: Mapping[str, Any]) -> set[int]:
    minimum = int(params["min_days"])
    d = _deadline_targets(c)
    issued_lot = earliest(c, "tender_documents_issued")
    ann_lot = earliest(c, "announcement")
    issued_any = project_first(c, "tender_documents_issued")
    ann_any = project_first(c, "announcement")
    f = (
        d.join(issued_lot, on=["idx", "lot"], how="left")
        .join(ann_lot, on=["idx", "lot"], how="left")
        .join(
            issued_any.select("idx", pl.col("tender_documents_issued_day").alias("i_any")),
            on="idx",
            how="left",
        )
        .join(
            ann_any.select("idx", pl.col("announcement_day").alias("a_any")), on="idx", how="left"
        )
    )
    # The deadline's own lot decides whose documents count (`first(kind, deadline.lot_id)`).
    lot_level = pl.col("bid_deadline_lot").is_not_null()
    start = (
        pl.when(lot_level)
        .then(pl.coalesce("tender_documents_issued_day", "announcement_day"))
        .otherwise(pl.coalesce("i_any", "a_any"))
    )
    # A lot-level deadline uses the first step of the deadline's lot; here the row's lot is it.
    f = _with_project(c, f.with_columns(start.alias("start")))
    days = pl.col("bid_deadline_day") - pl.col("start")
    return _idx(f.filter(_must_tendered() & (days >= 0) & (days < minimum)))


def _deadline_targets(c: Columns) -> pl.DataFrame:
    """Per (project, lot): the bid deadline in force (`tender._deadlines`); a project without
    lots has the project's (lot null)."""

    def make() -> pl.DataFrame:
        real = in_force(c, "bid_deadline").filter(pl.col("bid_deadline_seq").is_not_null())
        lotless = c.projects.select("idx").join(c.lots.select("idx"), on="idx", how="anti")
        extra = (
            lotless.join(project_in_force(c, "bid_deadline"), on="idx")
            .filter(pl.col("bid_deadline_seq").is_not_null())
            .with_columns(pl.lit(None, pl.Int64).alias("lot"))
            .select(real.columns)
        )
        return pl.concat([real, extra])

    return c.cached("deadline_targets", make)


def _notices(c: Columns) -> pl.DataFrame:
    """Clarifications and amendments with their stage (`tender._stage`, prequalification or
    not) and the deadlines they are measured against."""

    def make() -> pl.DataFrame:
        e = _events(c)
        n = e.filter(pl.col("kind").is_in(["clarification", "amendment"])).select(
            "idx",
            pl.col("lot").alias("n_lot"),
            pl.col("at").alias("n_at"),
            pl.col("day").alias("n_day"),
            pl.col("pos").alias("n_pos"),
            "stage",
            "not_material",
        )
        # The prequalification deadline for the notice's lot (own, else shared; for a project-wide
        # notice: shared, else any).
        pq_lot = in_force(c, "prequalification_deadline").select(
            "idx",
            pl.col("lot").alias("n_lot"),
            pl.col("prequalification_deadline_at").alias("pq_at_l"),
            pl.col("prequalification_deadline_day").alias("pq_day_l"),
            pl.col("prequalification_deadline_seq").alias("pq_seq_l"),
        )
        pq_any = project_in_force(c, "prequalification_deadline").select(
            "idx",
            pl.col("prequalification_deadline_at").alias("pq_at_p"),
            pl.col("prequalification_deadline_day").alias("pq_day_p"),
            pl.col("prequalification_deadline_seq").alias("pq_seq_p"),
        )
        n = n.join(pq_lot, on=["idx", "n_lot"], how="left").join(pq_any, on="idx", how="left")
        lot_level = pl.col("n_lot").is_not_null()
        n = n.with_columns(
            pl.when(lot_level).then(pl.col("pq_at_l")).otherwise(pl.col("pq_at_p")).alias("pq_at"),
            pl.when(lot_level)
            .then(pl.col("pq_day_l"))
            .otherwise(pl.col("pq_day_p"))
            .alias("pq_day"),
        )
        explicit_pq = pl.col("stage").is_in(list(PREQ_STAGES))
        explicit_other = pl.col("stage").is_in(list(OTHER_STAGES))
        inferred_pq = pl.col("pq_at").is_not_null() & (pl.col("n_at") <= pl.col("pq_at"))
        return n.with_columns((explicit_pq | (~explicit_other & inferred_pq)).alias("prequal"))

    return c.cached("notices", make)


def q_td06(c: Columns, params: Mapping[str, Any]) -> set[int]:
    n = _notices(c).filter(~pl.col("not_material"))
    minimum = int(params["min_days"])
    minimum_pq = int(params["min_days_prequalification"])
    pq = n.filter(pl.col("prequal")).filter(
        (pl.col("n_at") < pl.col("pq_at")) & ((pl.col("pq_day") - pl.col("n_day")) < minimum_pq)
    )
    targets = _deadline_targets(c).select(
        "idx",
        "lot",
        pl.col("bid_deadline_at").alias("d_at"),
        pl.col("bid_deadline_day").alias("d_day"),
    )
    tender = n.filter(~pl.col("prequal"))
    own = tender.filter(pl.col("n_lot").is_not_null()).join(
        targets, left_on=["idx", "n_lot"], right_on=["idx", "lot"]
    )
    shared = tender.filter(pl.col("n_lot").is_null()).join(targets, on="idx")
    late = pl.concat(
        [
            own.select("idx", "n_at", "n_day", "d_at", "d_day"),
            shared.select("idx", "n_at", "n_day", "d_at", "d_day"),
        ]
    )
    late = late.filter(
        (pl.col("n_at") < pl.col("d_at")) & ((pl.col("d_day") - pl.col("n_day")) < minimum)
    )
    hits = pl.concat([pq.select("idx"), late.select("idx")])
    return _idx(_with_project(c, hits).filter(_tendered()))


def q_td02(c: Columns, params: Mapping[str, Any]) -> set[int]:
    minimum = int(params["min_days"])
    issued = project_first(c, "tender_documents_issued").select(
        "idx", pl.col("tender_documents_issued_day").alias("i")
    )
    end = project_in_force(c, "tender_documents_sale_end").select(
        "idx", pl.col("tender_documents_sale_end_day").alias("e")
    )
    t = issued.join(end, on="idx").filter(pl.col("e").is_not_null())
    pq = project_first(c, "prequalification_issued")
    pq_rows = (
        _events(c)
        .filter(pl.col("kind") == "prequalification_issued")
        .select("idx", "pos", "pq_sale_end")
    )
    pq = pq.join(pq_rows, left_on=["idx", "prequalification_issued_pos"], right_on=["idx", "pos"])
    p = pq.select(
        "idx", pl.col("prequalification_issued_day").alias("i"), pl.col("pq_sale_end").alias("e")
    )
    f = pl.concat([t, p.filter(pl.col("e").is_not_null())])
    days = pl.col("e") - pl.col("i")
    return _idx(_with_project(c, f).filter(_tendered() & (days >= 0) & (days < minimum)))


def q_td03(c: Columns, params: Mapping[str, Any]) -> set[int]:
    window, sale = int(params["min_days"]), int(params["min_sale_days"])
    issued = project_first(c, "prequalification_issued")
    rows = (
        _events(c)
        .filter(pl.col("kind") == "prequalification_issued")
        .select("idx", "pos", "pq_sale_end")
    )
    issued = issued.join(
        rows, left_on=["idx", "prequalification_issued_pos"], right_on=["idx", "pos"]
    )
    target = project_in_force(c, "prequalification_deadline").filter(
        pl.col("prequalification_deadline_seq").is_not_null()
    )
    f = _with_project(c, issued.join(target, on="idx"))
    known = pl.col("pq_sale_end").is_not_null()
    days = (
        pl.when(known)
        .then(pl.col("prequalification_deadline_day") - pl.col("pq_sale_end"))
        .otherwise(pl.col("prequalification_deadline_day") - pl.col("prequalification_issued_day"))
    )
    minimum = pl.when(known).then(window).otherwise(window + sale)
    return _idx(f.filter(_must_tendered() & (days >= 0) & (days < minimum)))


def q_td09(c: Columns, params: Mapping[str, Any]) -> set[int]:
    n_lots = c.lots.group_by("idx").agg(pl.len().alias("n_lots"))
    lots = c.lots.join(n_lots, on="idx").join(
        c.projects.select("idx", pl.col("est").alias("p_est"), "method"), on="idx"
    )
    base = (
        pl.when(pl.col("est").is_not_null() & (pl.col("est") != 0))
        .then(pl.col("est"))
        .when(pl.col("n_lots") == 1)
        .then(pl.col("p_est"))
        .otherwise(None)
    )
    lots = lots.with_columns(base.alias("base"))
    hit = (
        _tendered()
        & pl.col("security").is_not_null()
        & (pl.col("security") != 0)
        & pl.col("base").is_not_null()
        & (pl.col("base") > 0)
        & _cap_exceeded("security", "base", params["max_percent"])
    )
    return _idx(lots.filter(hit))


def q_td09b(c: Columns, params: Mapping[str, Any]) -> set[int]:
    cap = int(Decimal(str(params["max_amount"])) * 100)
    f = _with_project(c, c.lots.select("idx", "security"))
    hit = _tendered() & (pl.col("category") == "works") & (pl.col("security") > cap)
    return _idx(f.filter(hit & (pl.col("security") != 0)))


def q_td14q(c: Columns, params: Mapping[str, Any]) -> set[int]:
    try:
        table = documents.parse_table(str(params.get("table") or ""))
    except ValueError:
        table = documents.default_table()
    r = c.requirements.filter(pl.col("amount").is_not_null())
    if r.height == 0 or not table:
        return set()
    grade_re = "(" + "|".join(documents.GRADES) + ")"
    ranks = dict(documents.GRADES)
    r = (
        r.with_row_index("req")
        .with_columns(
            pl.coalesce(
                pl.col("grade").str.extract(grade_re, 1), pl.col("kind").str.extract(grade_re, 1)
            ).alias("g")
        )
        .filter(pl.col("g").is_not_null())
    )
    r = r.with_columns(pl.col("g").replace_strict(ranks, return_dtype=pl.Int32).alias("rank"))
    rows = pl.DataFrame(
        {
            "t_order": list(range(len(table))),
            "match": [row.match for row in table],
            "up_to": [None if row.up_to is None else int(row.up_to * 100) for row in table],
            "t_rank": [row.rank for row in table],
        },
        schema={"t_order": pl.Int32, "match": pl.String, "up_to": pl.Int64, "t_rank": pl.Int32},
    ).filter(pl.col("match") != "")
    pairs = r.join(rows, how="cross").filter(
        pl.col("kind").str.contains(pl.col("match"), literal=True)
    )
    # `highest_allowed`: rows sorted by (no bound last, bound, table order); the first that holds.
    pairs = pairs.filter(pl.col("up_to").is_null() | (pl.col("amount") <= pl.col("up_to")))
    first = (
        pairs.sort(["req", pl.col("up_to").is_null(), "up_to", "t_order"])
        .group_by("req", maintain_order=True)
        .first()
    )
    return _idx(first.filter(pl.col("rank") < pl.col("t_rank")))


def q_bo01(c: Columns, params: Mapping[str, Any]) -> set[int]:
    minimum = int(params["min_bidders"])
    opening = in_force(c, "opening")
    f = _with_project(c, c.lots.join(opening, on=["idx", "lot"]))
    opened = pl.col("rec_open").is_not_null() | pl.col("opening_seq").is_not_null()
    received = (
        pl.when(pl.col("rec_open").is_not_null() & pl.col("rec_bids").is_not_null())
        .then(pl.col("rec_bids"))
        .when(pl.col("n_bids") > 0)
        .then(pl.col("n_bids"))
        .otherwise(pl.col("opening_bids_data"))
    )
    return _idx(f.filter(_tendered() & opened & (received < minimum)))


def q_bo02(c: Columns, params: Mapping[str, Any]) -> set[int]:
    tolerance = int(params["tolerance_minutes"])
    f = c.lots.join(in_force(c, "opening"), on=["idx", "lot"]).join(
        in_force(c, "bid_deadline"), on=["idx", "lot"]
    )
    f = _with_project(c, f)
    opened = pl.coalesce("rec_open", "opening_at")
    gap = (opened // 60) - (pl.col("bid_deadline_at") // 60)
    return _idx(
        f.filter(_tendered() & pl.col("bid_deadline_seq").is_not_null() & (gap.abs() > tolerance))
    )


def q_ev01(c: Columns, params: Mapping[str, Any]) -> set[int]:
    minimum = int(params["min_members"])
    try:
        share = bidding.parse_share(params["expert_share"])
    except ValueError:
        share = Fraction(2, 3)
    f = _with_project(c, c.lots.filter(pl.col("c_size").is_not_null() & (pl.col("c_size") > 0)))
    bad = (
        (pl.col("c_size") < minimum)
        | (pl.col("c_size") % 2 == 0)
        | (pl.col("c_experts") * share.denominator < pl.col("c_size") * share.numerator)
    )
    return _idx(f.filter(_must_tendered() & bad))


def _publicity(c: Columns) -> pl.DataFrame:
    def make() -> pl.DataFrame:
        f = (
            _awarded_lots(c)
            .join(in_force(c, "evaluation_report"), on=["idx", "lot"])
            .join(earliest(c, "candidate_publicity_start"), on=["idx", "lot"])
            .join(in_force(c, "candidate_publicity_end"), on=["idx", "lot"])
        )
        return f.join(_halted(c), on="idx")

    return c.cached("publicity", make)


def q_aw01(c: Columns, params: Mapping[str, Any]) -> set[int]:
    within, minimum = int(params["start_within_days"]), int(params["min_days"])
    roll = bool(params.get("roll_forward", True))
    f = _publicity(c).filter(_must_tendered())
    report = pl.col("evaluation_report_seq").is_not_null()
    start = pl.col("candidate_publicity_start_pos").is_not_null()
    end = pl.col("candidate_publicity_end_seq").is_not_null()
    missing = ~start & report & pl.col("award_day").is_not_null()
    due = _roll(c, pl.col("evaluation_report_day") + within, roll)
    late = (
        start
        & report
        & (pl.col("candidate_publicity_start_at") >= pl.col("evaluation_report_at"))
        & (pl.col("candidate_publicity_start_day") > due)
    )
    short = (
        start
        & end
        & (pl.col("candidate_publicity_end_at") >= pl.col("candidate_publicity_start_at"))
        & (
            (pl.col("candidate_publicity_end_day") - pl.col("candidate_publicity_start_day"))
            < minimum
        )
    )
    return _idx(f.filter(missing | late | short))


def q_aw01s(c: Columns, params: Mapping[str, Any]) -> set[int]:
    within = int(params["start_within_days"])
    roll = bool(params.get("roll_forward", True))
    f = _publicity(c).filter(_must_tendered() & pl.col("today").is_not_null() & ~pl.col("halted"))
    due = _roll(c, pl.col("evaluation_report_day") + within, roll)
    hit = (
        pl.col("evaluation_report_seq").is_not_null()
        & pl.col("candidate_publicity_start_pos").is_null()
        & pl.col("award_day").is_null()
        & (pl.col("today") > due)
    )
    return _idx(f.filter(hit))


def q_aw06(c: Columns, params: Mapping[str, Any]) -> set[int]:
    limit = int(params["max_days"])
    roll = bool(params.get("roll_forward", True))
    f = _awarded_lots(c).filter(pl.col("awarded"))
    due = _roll(c, pl.col("award_day") + limit, roll)
    hit = (pl.col("signed_day") >= pl.col("award_day")) & (pl.col("signed_day") > due)
    return _idx(f.filter(hit))


def q_aw06s(c: Columns, params: Mapping[str, Any]) -> set[int]:
    limit = int(params["max_days"])
    roll = bool(params.get("roll_forward", True))
    f = _awarded_lots(c).join(_halted(c), on="idx")
    f = f.filter(pl.col("awarded") & pl.col("today").is_not_null() & ~pl.col("halted"))
    due = _roll(c, pl.col("award_day") + limit, roll)
    hit = (
        pl.col("award_day").is_not_null() & pl.col("signed_day").is_null() & (pl.col("today") > due)
    )
    return _idx(f.filter(hit))


def _tender_durations(c: Columns) -> pl.DataFrame:
    """Per lot: `award.tender_duration` — reported with the documents, else the one duration
    their text states (projects of one lot only)."""

    def make() -> pl.DataFrame:
        issued = in_force(c, "tender_documents_issued").filter(
            pl.col("tender_documents_issued_seq").is_not_null()
        )
        n_lots = c.lots.group_by("idx").agg(pl.len().alias("n_lots"))
        texts = c.cached("texts", lambda: pl.DataFrame())
        from_text = (
            issued.join(n_lots, on="idx")
            .filter((pl.col("n_lots") == 1) & (pl.col("tender_documents_issued_sha") != ""))
            .join(
                texts,
                left_on=["idx", "tender_documents_issued_sha"],
                right_on=["idx", "sha"],
            )
            .select("idx", "lot", pl.col("duration").alias("t_dur"))
        )
        out = issued.select(
            "idx", "lot", pl.col("tender_documents_issued_duration_data").alias("d_dur")
        )
        return out.join(from_text, on=["idx", "lot"], how="left").select(
            "idx", "lot", pl.coalesce("d_dur", "t_dur").alias("tender_duration")
        )

    return c.cached("durations", make)


def q_aw06c(c: Columns, params: Mapping[str, Any]) -> set[int]:
    tolerance = _fraction(params["max_amount_difference_percent"])
    f = _awarded_lots(c).filter(pl.col("awarded") & pl.col("has_award") & pl.col("has_contract"))
    f = f.join(_tender_durations(c), on=["idx", "lot"], how="left")
    supplier = pl.col("ct_supplier") != pl.col("aw_bidder")
    gap = (pl.col("ct_amount") - pl.col("aw_amount")).abs()
    amount = (
        pl.col("ct_amount").is_not_null()
        & pl.col("aw_amount").is_not_null()
        & (pl.col("aw_amount") != 0)
        & (gap * 100 * tolerance.denominator > pl.col("aw_amount") * tolerance.numerator)
    )
    duration = (
        pl.col("tender_duration").is_not_null()
        & pl.col("ct_duration").is_not_null()
        & (pl.col("ct_duration") != pl.col("tender_duration"))
    )
    return _idx(f.filter(supplier | amount | duration))


def q_aw08(c: Columns, params: Mapping[str, Any]) -> set[int]:
    f = _awarded_lots(c).filter(pl.col("awarded") & pl.col("has_contract"))
    hit = (
        pl.col("ct_ps").is_not_null()
        & (pl.col("ct_ps") != 0)
        & pl.col("ct_amount").is_not_null()
        & (pl.col("ct_amount") != 0)
        & _cap_exceeded("ct_ps", "ct_amount", params["max_percent"])
    )
    return _idx(f.filter(hit))


def q_aw09(c: Columns, params: Mapping[str, Any]) -> set[int]:
    limit = int(params["max_days"])
    roll = bool(params.get("roll_forward", True))
    f = _awarded_lots(c).join(in_force(c, "supervisor_report"), on=["idx", "lot"])
    f = f.filter(pl.col("awarded") & pl.col("must").fill_null(False))
    due = _roll(c, pl.col("award_day") + limit, roll)
    report = pl.col("supervisor_report_day")
    return _idx(f.filter((report >= pl.col("award_day")) & (report > due)))


def q_aw09s(c: Columns, params: Mapping[str, Any]) -> set[int]:
    limit = int(params["max_days"])
    roll = bool(params.get("roll_forward", True))
    f = _awarded_lots(c).join(in_force(c, "supervisor_report"), on=["idx", "lot"])
    f = f.join(_halted(c), on="idx").filter(
        pl.col("awarded")
        & pl.col("must").fill_null(False)
        & pl.col("today").is_not_null()
        & ~pl.col("halted")
    )
    due = _roll(c, pl.col("award_day") + limit, roll)
    hit = (
        pl.col("award_day").is_not_null()
        & pl.col("supervisor_report_seq").is_null()
        & (pl.col("today") > due)
    )
    return _idx(f.filter(hit))


def _amounts(c: Columns) -> pl.DataFrame:
    """Per project: `must.project_amount` (the lots' sum where each has one, at least the
    project's own estimate), with the direct-award exemption of an approval."""

    def make() -> pl.DataFrame:
        agg = c.lots.group_by("idx").agg(
            pl.len().alias("n_lots"),
            pl.col("est").null_count().alias("n_null"),
            pl.col("est").sum().alias("lot_sum"),
        )
        f = c.projects.join(agg, on="idx", how="left")
        lots_known = (
            pl.col("n_lots").is_not_null() & (pl.col("n_lots") > 0) & (pl.col("n_null") == 0)
        )
        amount = (
            pl.when(lots_known & pl.col("est").is_not_null())
            .then(pl.max_horizontal("lot_sum", "est"))
            .when(lots_known)
            .then(pl.col("lot_sum"))
            .otherwise(pl.col("est"))
        )
        exempt = (
            c.approvals.filter(pl.col("method") == "direct")
            .select("idx")
            .unique()
            .with_columns(pl.lit(True).alias("exempt"))
        )
        return (
            f.with_columns(amount.alias("amount"))
            .join(exempt, on="idx", how="left")
            .with_columns(pl.col("exempt").fill_null(False) | (pl.col("ap_method") == "direct"))
        )

    return c.cached("amounts", make)


def q_must(category: str) -> Any:
    def query(c: Columns, params: Mapping[str, Any]) -> set[int]:
        threshold = int(Decimal(str(params["threshold"])) * 100)
        f = _amounts(c).filter(
            (pl.col("category") == category)
            & pl.col("method").is_in(list(NOT_TENDERED))
            & ~pl.col("exempt")
            & (pl.col("currency") == "CNY")
            & (pl.col("amount") >= threshold)
            & (pl.col("funded").fill_null(False) | pl.col("must").fill_null(False))
        )
        return _idx(f)

    return query


def stem_expr(column: str) -> pl.Expr:
    """`must.subject_stem` as an expression (the same regular expressions)."""
    return (
        pl.col(column)
        .fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(must._MARKERS.pattern, "")
        .str.replace_all(must._PUNCT.pattern, "")
    )


def q_must05(c: Columns, params: Mapping[str, Any]) -> set[int]:
    window = int(params["window_days"])
    thresholds = {
        "works": int(Decimal(str(params["works_threshold"])) * 100),
        "goods": int(Decimal(str(params["goods_threshold"])) * 100),
        "services": int(Decimal(str(params["services_threshold"])) * 100),
    }
    threshold = pl.col("category").replace_strict(thresholds, default=None, return_dtype=pl.Int64)
    subjects = (
        _amounts(c)
        .filter(
            pl.col("method").is_in(list(NOT_TENDERED))
            & (pl.col("industry") != "government_procurement")
            & pl.col("funded").fill_null(True)
            & pl.col("has_siblings")
            & pl.col("reg_day").is_not_null()
        )
        .with_columns(threshold.alias("threshold"))
        .filter(
            pl.col("threshold").is_not_null()
            & pl.col("amount").is_not_null()
            & (pl.col("amount") < pl.col("threshold"))
        )
        .select("idx", "category", "reg_day", "threshold", "amount", pl.col("name").alias("p_name"))
    )
    siblings = c.siblings.rename({"category": "s_category", "day": "s_day", "est": "s_est"})
    group = subjects.join(siblings, on="idx").filter(
        (pl.col("s_category") == pl.col("category"))
        & pl.col("method").is_in(list(NOT_TENDERED))
        & pl.col("s_est").is_not_null()
        & (pl.col("s_est") < pl.col("threshold"))
        & pl.col("s_day").is_not_null()
        & ((pl.col("s_day") - pl.col("reg_day")).abs() <= window)
    )
    # The subject's stem, computed once per distinct name, then compared.
    names = pl.concat(
        [group.select(pl.col("p_name").alias("n")), group.select(pl.col("name").alias("n"))]
    ).unique()
    stems = names.with_columns(stem_expr("n").alias("stem"))
    group = (
        group.join(stems.rename({"n": "p_name", "stem": "p_stem"}), on="p_name")
        .join(stems.rename({"n": "name", "stem": "s_stem"}), on="name")
        .filter(
            (pl.col("s_stem") == pl.col("p_stem"))
            & (pl.col("p_stem").str.len_chars() >= must.MIN_STEM)
        )
    )
    total = group.group_by("idx").agg(
        pl.col("s_est").sum().alias("others"), pl.col("amount").first(), pl.col("threshold").first()
    )
    return _idx(total.filter(pl.col("amount") + pl.col("others") >= pl.col("threshold")))


def q_must09(c: Columns, params: Mapping[str, Any]) -> set[int]:
    f = c.approvals.join(
        c.projects.select("idx", pl.col("method").alias("p_method"), "org_form", "category"),
        on="idx",
    )
    method = (
        (pl.col("method") != "")
        & (pl.col("p_method") != "")
        & (pl.col("method") != pl.col("p_method"))
    )
    form = (
        (pl.col("form") != "") & (pl.col("org_form") != "") & (pl.col("form") != pl.col("org_form"))
    )
    scope_checks = [
        (pl.col("category") == category)
        & ~pl.any_horizontal([pl.col("scope").str.contains(w, literal=True) for w in words])
        for category, words in must.SCOPE_WORDS.items()
    ]
    scope = (pl.col("scope") != "") & pl.any_horizontal(scope_checks)
    return _idx(f.filter(method | form | scope))


def q_td01(c: Columns, params: Mapping[str, Any]) -> set[int]:
    """Projects whose first tender document with a text departs from its model: the first such
    step per project (`documents.tender_documents`), looked up in the comparisons `build` made
    once per document and model (`DocumentIndex`)."""
    if not c.models or c.compared.height == 0:
        return set()
    texts = c.cached("texts", lambda: pl.DataFrame())
    first_doc = (
        _events(c)
        .filter((pl.col("kind") == "tender_documents_issued") & (pl.col("sha") != ""))
        .join(texts, on=["idx", "sha"], how="semi")
        .filter(pl.col("pos") == pl.col("pos").min().over("idx"))
        .select("idx", "sha")
    )
    hits = first_doc.join(c.compared.filter(pl.col("changed")), on=["idx", "sha"])
    return _idx(hits.join(c.projects.filter(pl.col("has_models")), on="idx", how="semi"))


def q_objections(c: Columns, params: Mapping[str, Any]) -> set[int]:
    """Projects with an objection in the current round (the reference decides)."""
    f = _events(c).filter(pl.col("kind") == "objection").select("idx").unique()
    return _idx(_with_project(c, f).filter(_tendered()))


QUERIES: dict[str, Any] = {
    "TD-01": q_td01,
    "TD-02": q_td02,
    "TD-03": q_td03,
    "TD-05": q_td05,
    "TD-06": q_td06,
    "TD-07": q_objections,
    "TD-07s": q_objections,
    "TD-09": q_td09,
    "TD-09b": q_td09b,
    "TD-14.2": q_td14q,
    "BO-01": q_bo01,
    "BO-02": q_bo02,
    "EV-01": q_ev01,
    "AW-01": q_aw01,
    "AW-01s": q_aw01s,
    "AW-02": q_objections,
    "AW-02s": q_objections,
    "AW-06": q_aw06,
    "AW-06s": q_aw06s,
    "AW-06c": q_aw06c,
    "AW-08": q_aw08,
    "AW-09": q_aw09,
    "AW-09s": q_aw09s,
    "MUST-02": q_must("works"),
    "MUST-03": q_must("goods"),
    "MUST-04": q_must("services"),
    "MUST-05": q_must05,
    "MUST-09": q_must09,
}
EXACT = frozenset(QUERIES) - CANDIDATE_ONLY


def candidates(c: Columns, rule_id: str, params: Mapping[str, Any]) -> set[int]:
    """The rows (`idx`) the rule's query selects."""
    if rule_id in NOTHING:
        return set()
    return QUERIES[rule_id](c, params)


def run_columnar(
    states: Sequence[ProjectState] | Columns,
    params_by_rule: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    today: dt.date | None = None,
) -> list[Finding]:
    """`state.run_rules` over a batch, decided by the queries and worded by the rules: the
    same findings, in the same order (state by state, rule by rule)."""
    from tenderwatch.screening.rules.registry import RULES

    if today is not None and not isinstance(states, Columns):
        states = [s if s.today == today else s.with_(today=today) for s in states]
    c = states if isinstance(states, Columns) else build(states)
    if params_by_rule is None:
        selected = [(spec, spec.defaults()) for spec in RULES.values()]
    else:
        selected = [
            (RULES[r], {**RULES[r].defaults(), **dict(p or {})})
            for r, p in params_by_rule.items()
            if r in RULES
        ]
    hits: dict[int, list[tuple[Any, Mapping[str, Any]]]] = {}
    for spec, params in selected:
        for idx in candidates(c, spec.id, params):
            hits.setdefault(idx, []).append((spec, params))
    order = {spec.id: n for n, (spec, _p) in enumerate(selected)}
    findings: list[Finding] = []
    lent = documents.COMPARED.set(c.compared_changes)
    try:
        with wording():
            for idx in sorted(hits):
                state = c.states[idx]
                for rule, values in sorted(hits[idx], key=lambda sp: order[sp[0].id]):
                    try:
                        if rule.applies(state):
                            findings.extend(rule.check(state, values))
                    except Exception:  # as `state.run_rules`
                        log.exception("rule %s failed on project %s", rule.id, state.project_id)
    finally:
        documents.COMPARED.reset(lent)
    return findings


def fired_by_reference(
    states: Sequence[ProjectState], rule_id: str, params: Mapping[str, Any]
) -> set[int]:
    """The rows the reference fires on (for the agreement test)."""
    from tenderwatch.screening.rules.registry import RULES

    spec = RULES[rule_id]
    return {i for i, s in enumerate(states) if spec.applies(s) and spec.check(s, params)}


def iter_rules() -> Iterable[str]:
    return QUERIES.keys()


__all__ = [
    "EXACT",
    "QUERIES",
    "Columns",
    "build",
    "candidates",
    "fired_by_reference",
    "run_columnar",
]
