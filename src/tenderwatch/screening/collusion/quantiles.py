"""Quantiles and Tukey fences, the way cardinal-rs computes them (statrs's estimator).

statrs (`OrderStatistics::quantile`) uses the median-unbiased estimator (R's type 8):
h = (n + 1/3)·τ + 1/3; the result interpolates between the ⌊h⌋-th and the next order
statistic, and is the minimum below the first and the maximum past the last. cardinal-rs's
fences are Q1 − 1.5·IQR and Q3 + 1.5·IQR with these quartiles, compared inclusively. We use the
same estimator for every fence, so that our flags and cardinal's agree on the same data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl


def quantile(values: Sequence[float] | pl.Series, tau: float) -> float:
    """statrs's quantile of `values` (NaN when empty or τ outside [0, 1])."""
    data = values.drop_nulls().sort() if isinstance(values, pl.Series) else sorted(values)
    n = len(data)
    if n == 0 or not 0.0 <= tau <= 1.0:
        return math.nan
    h = (n + 1.0 / 3.0) * tau + 1.0 / 3.0
    hf = int(h)  # truncation, as `h as i64` in Rust (h is positive)
    if hf <= 0 or tau == 0.0:
        return float(data[0])
    if hf >= n or tau == 1.0:
        return float(data[n - 1])
    a, b = float(data[hf - 1]), float(data[hf])
    return a + (h - hf) * (b - a)


def quartiles(values: Sequence[float] | pl.Series) -> tuple[float, float]:
    return quantile(values, 0.25), quantile(values, 0.75)


def quantile_expr(column: str, tau: float) -> pl.Expr:
    """The same estimator as a Polars aggregation (for fences per market in a group-by)."""
    x = pl.col(column).drop_nulls().sort()
    n = x.len().cast(pl.Float64)
    h = (n + 1.0 / 3.0) * tau + 1.0 / 3.0
    hf = h.floor().cast(pl.Int64)
    lower = x.get((hf - 1).clip(0, None), null_on_oob=True)
    upper = x.get(hf.clip(0, None), null_on_oob=True)
    inner = lower + (h - hf.cast(pl.Float64)) * (upper - lower)
    return (
        pl.when(n == 0)
        .then(None)
        .when((hf <= 0) | (tau == 0.0))
        .then(x.min())
        .when((hf >= n.cast(pl.Int64)) | (tau == 1.0))
        .then(x.max())
        .otherwise(inner)
    )
