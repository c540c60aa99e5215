"""Excel export of a selection of projects: the sheets 项目, 标段, 投标 and 程序环节. REQ-05.

The columns are the spreadsheet import's (`ingest.tabular`), so an exported workbook imports
again (as `tabular.WORKBOOK`) and changes nothing: lots are named as the import finds them
(`tabular.lot_label`), bids carry their 投标编号, procedure steps their 外部编号 and 版本 (the
newest version of each, as the timeline shows them), times are China time.

Streaming: openpyxl's write-only mode keeps each sheet in its own temporary file, and the
projects are read a chunk at a time with their lots, bids and events, so a province-scale
selection does not grow memory.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import translation

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger.ingest import tabular
from tenderwatch.ledger.models import Bid, Lot, ProcedureEvent, Project

CHUNK = 500
FORMATS = {
    "money": "#,##0.00",
    "percent": "0.##",
    "moment": "yyyy-mm-dd hh:mm:ss",
    "day": "yyyy-mm-dd",
}
PROJECT_SHEET = (*tabular.PROJECT_COLUMNS, *tabular.PROJECT_INFO_COLUMNS)
SHEETS = {
    "项目": PROJECT_SHEET,
    "标段": tabular.LOTS_SHEET_COLUMNS,
    "投标": tabular.BID_COLUMNS,
    "程序环节": tabular.EVENT_COLUMNS,
}


@dataclass
class ExportCounts:
    projects: int = 0
    lots: int = 0
    bids: int = 0
    events: int = 0


def _cell_value(col: tabular.Column, value: Any) -> Any:
    """A value as the file shows it (what `tabular` reads back to the same value)."""
    if value is None or value == "" or value == []:
        return None
    kind = col.parse
    if kind in tabular.NAMES:
        return tabular.name_of(kind, value)
    if kind == "identifier":
        return tabular.identifier_text(*value)
    if kind == "members":
        return tabular.members_text(value)
    if kind == "json_list":
        return tabular.requirements_text(value)
    if kind == "moment":
        local = value.astimezone(CHINA)
        if local.microsecond:  # Excel keeps milliseconds at best: text keeps them all
            return local.replace(tzinfo=None).isoformat(sep=" ")
        return local.replace(tzinfo=None)
    if isinstance(value, Decimal) and len(value.as_tuple().digits) > 15:
        return format(value, "f")  # beyond a double's precision: as text
    return value


class _Writer:
    """The four write-only sheets, each with its header row."""

    def __init__(self) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        self._cell_class = WriteOnlyCell
        self.workbook = Workbook(write_only=True)
        self.sheets: dict[str, Any] = {}
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        for title, columns in SHEETS.items():
            ws = self.workbook.create_sheet(title)
            for i, col in enumerate(columns, start=1):
                ws.column_dimensions[get_column_letter(i)].width = col.width or max(
                    12, len(col.header) * 2 + 2
                )
            ws.freeze_panes = "A2"
            header = []
            for col in columns:
                cell = WriteOnlyCell(ws, value=col.header)
                cell.font, cell.fill = bold, fill
                header.append(cell)
            ws.append(header)
            self.sheets[title] = ws

    def row(self, title: str, values: dict[str, Any]) -> None:
        ws = self.sheets[title]
        cells = []
        for col in SHEETS[title]:
            value = _cell_value(col, values.get(col.key))
            if isinstance(value, str) and value.startswith("="):
                cell = self._cell_class(ws, value=value)
                cell.data_type = "s"  # text, never a formula (bidders write these fields)
                cells.append(cell)
            elif col.parse in FORMATS and value is not None and not isinstance(value, str):
                cell = self._cell_class(ws, value=value)
                cell.number_format = FORMATS[col.parse]
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)


def _chunks(projects: QuerySet[Project]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in projects.values_list("pk", flat=True).iterator(chunk_size=2000):
        chunk.append(pk)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _project_values(p: Project) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(p, name) for name in tabular.services.PROJECT_FIELDS}
    values.update(
        tenderer_name=p.tenderer.name if p.tenderer else "",
        tenderer_id=(p.tenderer.scheme, p.tenderer.identifier) if p.tenderer else None,
        agency_name=p.agency.name if p.agency else "",
        agency_id=(p.agency.scheme, p.agency.identifier) if p.agency else None,
        version=p.version,
        status=p.get_status_display(),
        must_tender="" if p.must_tender is None else ("是" if p.must_tender else "否"),
        source=p.source,
    )
    return values


def _write_chunk(out: _Writer, ids: list[int], counts: ExportCounts) -> None:
    projects = Project.objects.filter(pk__in=ids).select_related("tenderer", "agency").in_bulk()
    lots: dict[int, list[Lot]] = defaultdict(list)
    for lot in Lot.objects.filter(project_id__in=ids).order_by("pk"):
        lots[lot.project_id].append(lot)
    labels: dict[int, str] = {}
    for project_lots in lots.values():
        numbers = Counter(lot.number for lot in project_lots)
        for lot in project_lots:
            labels[lot.pk] = tabular.lot_label(lot, numbers)

    for pk in ids:
        project = projects.get(pk)
        if project is None:  # deleted since the selection was read
            continue
        out.row("项目", _project_values(project))
        counts.projects += 1
    for pk in ids:
        project = projects.get(pk)
        for lot in lots.get(pk, []) if project else []:
            out.row(
                "标段",
                {
                    "code": project.code,  # type: ignore[union-attr]
                    "lot_no": labels[lot.pk],
                    "lot_name": lot.name,
                    "lot_estimated_amount": lot.estimated_amount,
                    "ceiling_price": lot.ceiling_price,
                    "bid_security": lot.bid_security,
                    "lot_currency": lot.currency,
                    "qualification_requirements": lot.qualification_requirements or [],
                    "status": lot.get_status_display(),
                },
            )
            counts.lots += 1

    members: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    through = Bid.consortium_members.through
    for bid_id, scheme, identifier, name in (
        through.objects.filter(bid__lot__project_id__in=ids)
        .order_by("pk")
        .values_list(
            "bid_id", "marketentity__scheme", "marketentity__identifier", "marketentity__name"
        )
    ):
        members[bid_id].append((scheme, identifier, name))
    bids: dict[int, list[Bid]] = defaultdict(list)
    for bid in (
        Bid.objects.filter(lot__project_id__in=ids)
        .select_related("bidder", "project_manager")
        .order_by("lot_id", "pk")
    ):
        bids[bid.lot_id].append(bid)
    for pk in ids:
        project = projects.get(pk)
        for lot in lots.get(pk, []) if project else []:
            for bid in bids.get(lot.pk, []):
                pm = bid.project_manager
                out.row(
                    "投标",
                    {
                        "code": project.code,  # type: ignore[union-attr]
                        "lot_no": labels[lot.pk],
                        "bid_id": bid.external_id,
                        "bidder_name": bid.bidder.name,
                        "bidder_id": (bid.bidder.scheme, bid.bidder.identifier),
                        **{f: getattr(bid, f) for f in tabular.services.BID_FIELDS},
                        "pm_name": pm.name if pm else "",
                        "pm_certificate": pm.certificate_no if pm else "",
                        "consortium": members.get(bid.pk, []),
                        "version": bid.version,
                    },
                )
                counts.bids += 1

    newer = ProcedureEvent.objects.filter(
        source=OuterRef("source"),
        external_id=OuterRef("external_id"),
        version__gt=OuterRef("version"),
    )
    events: dict[int, list[ProcedureEvent]] = defaultdict(list)
    for event in (
        ProcedureEvent.objects.filter(project_id__in=ids)
        .exclude(Exists(newer))
        .order_by("project_id", "occurred_at", "pk")
    ):
        events[event.project_id].append(event)
    for pk in ids:
        project = projects.get(pk)
        for event in events.get(pk, []) if project else []:
            out.row(
                "程序环节",
                {
                    "code": project.code,  # type: ignore[union-attr]
                    "lot_no": labels.get(event.lot_id, "") if event.lot_id else "",
                    "kind": event.kind,
                    "occurred_at": event.occurred_at,
                    "external_id": event.external_id,
                    "version": event.version,
                    "note": event.note,
                },
            )
            counts.events += 1


def export_workbook(projects: QuerySet[Project], out: IO[bytes] | str | Path) -> ExportCounts:
    """Write the projects of `projects` (in its order) with their lots, bids and procedure
    steps to an .xlsx workbook. `projects` is already filtered for the reader
    (`selectors.projects_search`)."""
    counts = ExportCounts()
    with translation.override("zh-hans"):
        writer = _Writer()
        for ids in _chunks(projects):
            _write_chunk(writer, ids, counts)
        writer.workbook.save(out)
    return counts


def export_filename(now: dt.datetime | None = None) -> str:
    stamp = (now or dt.datetime.now(tz=CHINA)).astimezone(CHINA).strftime("%Y%m%d-%H%M")
    return f"项目台账导出-{stamp}.xlsx"
