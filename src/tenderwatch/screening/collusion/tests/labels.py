"""Which of our checks finds which collusion pattern the generator injects (its label codes,
`generator/violations.py`), and how a finding shows the label's evidence.

label code                 RULES.md   our check (rule id)                   evidence it must show
shared_ip                  BO-08(2)   BO-08(2), field client_ip             the IP, the bids
shared_mac                 BO-08(2)   BO-08(2), field mac_address           the MAC, the bids
shared_ca_key              BO-08(2)   BO-08(2), field ca_key_id             the CA key, the bids
shared_file_author         BO-08(1)   BO-08(1), field file_author           the author, the bids
shared_security_account    BO-08(6)   BO-08(6), field security_account      the account, the bids
shared_project_manager     BO-08(3)   BO-08(3), field manager               the manager, the bids
shared_ip_related_lots     BO-08(2)   BO-08(2) related lots, client_ip      the IP, the bids of
                                                                            both lots
regular_price_differences  BO-08(4)   BO-08(4), price_steps / price_ratios  the label's bids
cover_bidding              BO-07      screens: RD beyond its fence          RD and its fence
bid_rotation               BO-07/12   BO-07-ROT                             the ring's members
                                                                            (from its 3rd lot)

Procedural codes (short_bidding_period, fewer_than_three_bids, …) belong to the statutory rules
(`screening.rules`), not to these checks.
"""

from __future__ import annotations

CODE_CHECKS: dict[str, tuple[str, str | None]] = {
    "shared_ip": ("BO-08(2)", "client_ip"),
    "shared_mac": ("BO-08(2)", "mac_address"),
    "shared_ca_key": ("BO-08(2)", "ca_key_id"),
    "shared_file_author": ("BO-08(1)", "file_author"),
    "shared_security_account": ("BO-08(6)", "security_account"),
    "shared_project_manager": ("BO-08(3)", "manager"),
    "shared_ip_related_lots": ("BO-08(2)", "client_ip"),
    "regular_price_differences": ("BO-08(4)", None),
    "cover_bidding": ("SCR-DIST", "RD"),
    "bid_rotation": ("BO-07-ROT", None),
}
COLLUSION_CODES = frozenset(CODE_CHECKS)
