"""`ProcessBundle`: one contracting process, whole — the interchange of every bulk path.

The OCDS reader and the spreadsheet importer produce bundles; the generator produces bundles;
the bulk writer stores bundles; the OCDS exporter turns stored projects back into bundles and
then into compiled releases. Its parts are the feed API's own schemas (`ledger.schemas`), so a
bundle means exactly what the same records pushed through the API would mean.
"""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from tenderwatch.ledger.schemas import (
    AwardIn,
    BidIn,
    CommitteeIn,
    ContractIn,
    EvaluationIn,
    EventIn,
    ExternalId,
    OpeningIn,
    ProjectIn,
)


class LotOutcome(Schema):
    """What happened in one lot after the bids: opening, committee, evaluation, award, contracts."""

    lot_external_id: ExternalId
    opening: OpeningIn | None = None
    committee: CommitteeIn | None = None
    evaluation: EvaluationIn | None = None
    award: AwardIn | None = None
    contracts: list[ContractIn] = Field(default_factory=list)


class BundleBid(BidIn):
    """A bid, with the lot it was made for."""

    lot_external_id: ExternalId


class ProcessBundle(Schema):
    """One project (a contracting process) with everything known about it."""

    source: str = Field(min_length=1, max_length=60)
    external_id: ExternalId
    project: ProjectIn
    events: list[EventIn] = Field(default_factory=list)
    bids: list[BundleBid] = Field(default_factory=list)
    outcomes: list[LotOutcome] = Field(default_factory=list)
