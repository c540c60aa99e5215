"""A lot's bids as a small inline SVG, drawn on the server (no script, no CDN): one bar per bid
in order of price, the winning bid marked, the ceiling price as a dashed line, the bids named by
the evidence outlined."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 640
LABEL = 200  # left column: the bidder's name
ROW = 22
TOP = 26
BOTTOM = 24


def _money(value: float) -> str:
    return f"{value:,.2f}"


def bids_chart(
    bids: Sequence[dict[str, Any]], *, ceiling: float | None, marked: Iterable[int] = ()
) -> SafeString:
    """`bids`: rows with `bid`, `bidder_name`, `price`, `winner`, `status` (sorted by price)."""
    priced = [b for b in bids if b.get("price") is not None]
    if not priced:
        return mark_safe("")
    marked = set(marked)
    values = [float(b["price"]) for b in priced] + ([float(ceiling)] if ceiling else [])
    high = max(values)
    low = min(values)
    start = max(0.0, low - (high - low) * 0.25 - high * 0.01)
    span = (high - start) or 1.0
    plot = WIDTH - LABEL - 110
    height = TOP + ROW * len(priced) + BOTTOM

    def x(value: float) -> float:
        return LABEL + (value - start) / span * plot

    title = _("Bids of this lot by price")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bids-chart" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="bids-chart-title">',
        f'<title id="bids-chart-title">{escape(title)}</title>',
        f'<text x="{LABEL}" y="14" font-size="11" fill="#555">{escape(_money(start))}</text>',
        f'<text x="{LABEL + plot}" y="14" font-size="11" fill="#555" text-anchor="end">'
        f"{escape(_money(high))}</text>",
    ]
    for i, b in enumerate(priced):
        y = TOP + i * ROW
        price = float(b["price"])
        winner = bool(b.get("winner"))
        fill = (
            "#2f7d32"
            if winner
            else (
                "#9e9e9e"
                if b.get("status") in ("rejected", "disqualified", "withdrawn")
                else "#4f6d8f"
            )
        )
        stroke = ' stroke="#c62828" stroke-width="2"' if b.get("bid") in marked else ""
        name = str(b.get("bidder_name") or b.get("bidder_ref") or "")
        label = name if len(name) <= 14 else name[:13] + "…"
        classes = (
            "bar" + (" winner" if winner else "") + (" marked" if b.get("bid") in marked else "")
        )
        width = max(x(price) - LABEL, 1)
        parts.append(
            f'<g class="{classes}">'
            f'<text x="{LABEL - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="{ROW - 8}" '
            f'fill="{fill}"{stroke}><title>{escape(name)} {escape(_money(price))}</title></rect>'
            f'<text x="{x(price) + 4:.1f}" y="{y + 14}" font-size="11">{escape(_money(price))}'
            f"{' ★' if winner else ''}</text></g>"
        )
    if ceiling:
        ceiling_label = _("ceiling")
        cx = x(float(ceiling))
        bottom = TOP + ROW * len(priced)
        parts.append(
            f'<line class="ceiling" x1="{cx:.1f}" y1="{TOP - 4}" x2="{cx:.1f}" y2="{bottom}" '
            f'stroke="#c62828" stroke-dasharray="4 3"/>'
            f'<text x="{cx:.1f}" y="{bottom + 16}" font-size="11" fill="#c62828" '
            'text-anchor="middle">'
            f"{escape(ceiling_label)} {escape(_money(float(ceiling)))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every text above is escaped
