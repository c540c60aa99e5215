"""Collusion screens (围标串标): the evidence 实施条例 Art. 40 names, bid-document similarity,
statistical screens per lot, and cardinal-rs's red flags — columnar, over Polars frames."""
