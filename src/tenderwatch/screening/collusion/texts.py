"""The text of the bid documents the ledger holds: a bid's file is the `Document` whose SHA-256
is the bid's `file_hash`, when its content was stored (text files; other formats are not read
here — the trading platform sends the extracted text as a text document).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

import polars as pl

from tenderwatch.screening.collusion.similarity import DOCUMENT_SCHEMA

MAX_BYTES = 8 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".md", ".csv", ".html", ".htm", ".xml", ".json"}


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def read_texts(hashes: Iterable[str]) -> dict[str, str]:
    """SHA-256 → text, for the stored text documents among these hashes (one query)."""
    from tenderwatch.ledger.models import Document

    wanted = sorted({h for h in hashes if h})
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 2000):
        part = wanted[start : start + 2000]
        for doc in (
            Document.objects.filter(sha256__in=part)
            .exclude(file="")
            .only("sha256", "file", "media_type", "size")
        ):
            name = doc.file.name or ""
            if not (
                doc.media_type.startswith("text/") or PurePath(name).suffix.lower() in TEXT_SUFFIXES
            ):
                continue
            if doc.size and doc.size > MAX_BYTES:
                continue
            try:
                with doc.file.open("rb") as handle:
                    out[doc.sha256] = _decode(handle.read(MAX_BYTES))
            except OSError:
                continue
    return out


def bid_documents(bids: pl.DataFrame, lots: pl.DataFrame) -> pl.DataFrame:
    """(bid, lot, bidder, tenderer, text) for the bids whose file text is stored."""
    hashes = bids["file_hash"].drop_nulls().unique().to_list() if bids.height else []
    texts = read_texts(hashes)
    if not texts:
        return pl.DataFrame(schema=DOCUMENT_SCHEMA)
    frame = (
        bids.filter(pl.col("file_hash").is_in(list(texts)))
        .join(lots.select("lot", "tenderer"), on="lot", how="left")
        .with_columns(
            pl.col("file_hash").replace_strict(texts, return_dtype=pl.String).alias("text")
        )
    )
    return frame.select(list(DOCUMENT_SCHEMA)).sort("lot", "bid")
