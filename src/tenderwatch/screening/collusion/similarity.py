"""Bid documents compared: near-duplicates, shared rare passages, one bidder's file naming another.

招标投标法实施条例 第四十条第（四）项 (投标文件异常一致) and 第（五）项 (投标文件相互混装).

Each document becomes the set of its character shingles (`shingle` characters after Unicode
normalisation, blanks removed, lower case), hashed to 64 bits. A MinHash signature of
`permutations` values estimates the Jaccard similarity of two documents; locality-sensitive
hashing (`bands` bands of the signature) finds the candidate pairs among thousands of documents
without comparing every pair, so 1,000 documents compare in well under a second (numpy; see
benchmarks/screens.py). Candidates are kept when they are bids of different bidders in one lot
(or, scope "related", in lots of the same tenderer) and their exact Jaccard similarity reaches
`near_duplicate`.

Shared rare passages (the "same anomalies" of the law: the same typing error, the same odd
sentence): shingles that exactly two documents of the whole corpus contain, when the two are bids
of different bidders of one lot; `rare_min_shared` of them, in a corpus of at least
`rare_min_corpus` documents (with fewer, "rare" means nothing), make a finding — the passages are
quoted. Mixed files: a bid document that names another bidder of the same lot (its name or its
credit code) — the other bidder's papers in this bidder's file.
"""

from __future__ import annotations

import itertools
import json
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from tenderwatch.screening.collusion.evidence import EVIDENCE_SCHEMA

MASK64 = (1 << 64) - 1
DOCUMENT_SCHEMA: dict[str, Any] = {
    "bid": pl.Int64,
    "lot": pl.Int64,
    "bidder": pl.Int64,
    "tenderer": pl.Int64,
    "text": pl.String,
}


@dataclass(frozen=True)
class Params:
    shingle: int = 4
    permutations: int = 128
    bands: int = 32
    near_duplicate: float = 0.8
    rare_min_shared: int = 4
    rare_min_corpus: int = 10
    mixed: bool = True
    related: bool = True
    seed: int = 40


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(text.split())


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: well-spread 64-bit hashes from the raw shingle codes."""
    z = values.astype(np.uint64, copy=True)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def shingle_sequence(text: str, k: int) -> np.ndarray:
    """The hashes of every k-character shingle of the normalised text, in order."""
    codes = np.frombuffer(normalise(text).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if codes.size < k:
        return np.empty(0, dtype=np.uint64)
    h = np.zeros(codes.size - k + 1, dtype=np.uint64)
    for i in range(k):  # a polynomial code over the k characters, then mixed
        h = h * np.uint64(0x100000001B3) + codes[i : codes.size - k + 1 + i]
    return _mix(h)


def signatures(sets: Sequence[np.ndarray], permutations: int, seed: int) -> np.ndarray:
    """MinHash signatures, one row per document: min over the shingles of (a·x + b) >> 32
    for `permutations` random odd a and b (multiply-shift hashing, modulo 2⁶⁴)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63 - 1, size=permutations, dtype=np.int64).astype(np.uint64) | np.uint64(
        1
    )
    b = rng.integers(0, 2**63 - 1, size=permutations, dtype=np.int64).astype(np.uint64)
    out = np.full((len(sets), permutations), np.iinfo(np.uint64).max, dtype=np.uint64)
    for row, values in enumerate(sets):
        if values.size:
            hashed = (values[None, :] * a[:, None] + b[:, None]) >> np.uint64(32)
            out[row] = hashed.min(axis=1)
    return out


def candidate_pairs(sig: np.ndarray, bands: int) -> set[tuple[int, int]]:
    """Pairs of rows that agree on every value of at least one band."""
    k = sig.shape[1]
    rows = k // bands
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        block = np.ascontiguousarray(sig[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True])
        for s, e in itertools.pairwise(starts):
            if e - s < 2:
                continue
            members = np.sort(order[s:e])
            for i in range(len(members)):
                for j in range(i + 1, len(members)):
                    pairs.add((int(members[i]), int(members[j])))
    return pairs


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    if not x.size and not y.size:
        return 0.0
    inter = np.intersect1d(x, y, assume_unique=True).size
    return inter / (x.size + y.size - inter)


@dataclass
class Corpus:
    """The documents compared, with their shingles (each document's set, and its sequence)."""

    docs: pl.DataFrame
    sequences: list[np.ndarray]
    sets: list[np.ndarray]

    @classmethod
    def build(cls, docs: pl.DataFrame, params: Params) -> Corpus:
        sequences = [shingle_sequence(t or "", params.shingle) for t in docs["text"].to_list()]
        return cls(docs, sequences, [np.unique(s) for s in sequences])


def compare(
    docs: pl.DataFrame,
    params: Params | None = None,
    *,
    names: dict[int, tuple[str, ...]] | None = None,
) -> pl.DataFrame:
    """Evidence rows (`evidence.EVIDENCE_SCHEMA`) from the bid documents `docs` (columns of
    `DOCUMENT_SCHEMA`). `names` gives each bidder's names and codes for the mixed-file check."""
    params = params or Params()
    if docs.height == 0:
        return pl.DataFrame(schema=EVIDENCE_SCHEMA)
    docs = docs.with_row_index("row")
    corpus = Corpus.build(docs, params)
    rows: list[dict[str, Any]] = []
    rows += _near_duplicates(corpus, params)
    if docs.height >= params.rare_min_corpus:
        rows += _rare_passages(corpus, params)
    if params.mixed and names:
        rows += _mixed(docs, names)
    return (
        pl.DataFrame(rows, schema=EVIDENCE_SCHEMA) if rows else pl.DataFrame(schema=EVIDENCE_SCHEMA)
    )


def _related(a: dict[str, Any], b: dict[str, Any], params: Params) -> str | None:
    """ "lot" for bids of different bidders of one lot, "related" for lots of one tenderer."""
    if a["bidder"] == b["bidder"]:
        return None
    if a["lot"] == b["lot"]:
        return "lot"
    if params.related and a["tenderer"] is not None and a["tenderer"] == b["tenderer"]:
        return "related"
    return None


def _row(
    item: int, kind: str, a: dict[str, Any], b: dict[str, Any], scope: str, value: str, detail: dict
) -> dict[str, Any]:
    later = max(a, b, key=lambda d: (d["lot"], d["bid"]))
    return {
        "lot": later["lot"],
        "item": item,
        "kind": kind,
        "field": "document",
        "value": value,
        "bids": sorted({a["bid"], b["bid"]}),
        "bidders": sorted({a["bidder"], b["bidder"]}),
        "scope": scope,
        "lots": sorted({a["lot"], b["lot"]}),
        "detail": json.dumps(detail, ensure_ascii=False),
    }


def _near_duplicates(corpus: Corpus, params: Params) -> list[dict[str, Any]]:
    docs = corpus.docs.to_dicts()
    sig = signatures(corpus.sets, params.permutations, params.seed)
    out = []
    for i, j in sorted(candidate_pairs(sig, params.bands)):
        scope = _related(docs[i], docs[j], params)
        if scope is None:
            continue
        similarity = jaccard(corpus.sets[i], corpus.sets[j])
        if similarity >= params.near_duplicate:
            estimate = float((sig[i] == sig[j]).mean())
            out.append(
                _row(
                    4,
                    "near_duplicate",
                    docs[i],
                    docs[j],
                    scope,
                    f"{similarity:.0%}",
                    {"jaccard": round(similarity, 4), "minhash": round(estimate, 4)},
                )
            )
    return out


def _rare_passages(corpus: Corpus, params: Params) -> list[dict[str, Any]]:
    docs = corpus.docs.to_dicts()
    sizes = [s.size for s in corpus.sets]
    if not sum(sizes):
        return []
    values = np.concatenate(corpus.sets)
    owners = np.repeat(np.arange(len(corpus.sets)), sizes)
    order = np.argsort(values, kind="stable")
    values, owners = values[order], owners[order]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    counts = np.diff(np.r_[starts, values.size])
    twice = starts[counts == 2]
    shared: dict[tuple[int, int], list[int]] = defaultdict(list)
    for position in twice:
        i, j = int(owners[position]), int(owners[position + 1])
        shared[(min(i, j), max(i, j))].append(int(position))
    out = []
    for (i, j), positions in sorted(shared.items()):
        if len(positions) < params.rare_min_shared:
            continue
        scope = _related(docs[i], docs[j], params)
        if scope is None:
            continue
        if jaccard(corpus.sets[i], corpus.sets[j]) >= params.near_duplicate:
            continue  # already a near-duplicate
        hashes = set(values[positions].tolist())
        passages = _passages(docs[i]["text"] or "", corpus.sequences[i], hashes, params.shingle)
        out.append(
            _row(
                4,
                "rare_passages",
                docs[i],
                docs[j],
                scope,
                "；".join(passages[:3]),
                {"shingles": len(positions), "passages": passages[:10]},
            )
        )
    return out


def _passages(text: str, sequence: np.ndarray, hashes: set[int], k: int) -> list[str]:
    """The runs of the normalised text covered by the given shingles."""
    plain = normalise(text)
    hit = np.fromiter((int(h) in hashes for h in sequence), dtype=bool, count=sequence.size)
    out, start = [], None
    for pos, flag in enumerate([*hit.tolist(), False]):
        if flag and start is None:
            start = pos
        elif not flag and start is not None:
            out.append(plain[start : pos - 1 + k])
            start = None
    return out


def _mixed(docs: pl.DataFrame, names: dict[int, tuple[str, ...]]) -> list[dict[str, Any]]:
    out = []
    by_lot: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in docs.to_dicts():
        by_lot[d["lot"]].append(d)
    for items in by_lot.values():
        for own in items:
            text = normalise(own["text"] or "")
            for other in items:
                if other["bidder"] == own["bidder"]:
                    continue
                for name in names.get(other["bidder"], ()):
                    key = normalise(name)
                    if len(key) >= 4 and key in text:
                        out.append(
                            _row(
                                5,
                                "mixed_documents",
                                own,
                                other,
                                "lot",
                                name,
                                {"document_of": own["bid"], "names": other["bidder"]},
                            )
                        )
                        break
    return out
