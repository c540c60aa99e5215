"""Who may read and write the ledger, and instruct the trading platform.

Registered from `LedgerConfig.ready()`. The ledger is shared reading for every staff role
(DESIGN.md: 互联共享). Trading platforms write through the feed API with their own token; they
are not users and hold none of these permissions.
"""

from __future__ import annotations

from tenderwatch.org.models import Role
from tenderwatch.org.scoping import has_any_role, register

register(
    {
        "ledger.view": has_any_role(*Role.values),
        # Manual entry (records the platform did not send), by the office or an administrator.
        "ledger.write": has_any_role(Role.ADMINISTRATOR, Role.OFFICE_STAFF),
        # 电子招标投标办法 第五十七条: supervision instructions to the platform (suspend, resume).
        # Department officers for projects of their own industry come with a later issue.
        "ledger.instruct": has_any_role(Role.OFFICE_STAFF),
        # Connecting a trading platform and rotating its token (also `tenderwatch feed …`).
        "ledger.manage_feeds": has_any_role(Role.ADMINISTRATOR),
    }
)
