"""Where the real public data sets are (`shared/data`: OCDS samples, labelled bid-rigging data,
cardinal-rs fixtures). They are read in place, never copied into the repository.

Looked up in order: `TW_SHARED_DATA`; a `shared/data` folder beside any ancestor of this
checkout (the usual layout: `<work>/main` and `<work>/shared`); `/work/shared/data`.
"""

from __future__ import annotations

import os
from pathlib import Path

FALLBACK = Path("/work/shared/data")


def shared_data_dir() -> Path | None:
    candidates: list[Path] = []
    if os.environ.get("TW_SHARED_DATA"):
        candidates.append(Path(os.environ["TW_SHARED_DATA"]))
    candidates += [parent / "shared" / "data" for parent in Path(__file__).resolve().parents]
    candidates.append(FALLBACK)
    return next((c for c in candidates if c.is_dir()), None)
