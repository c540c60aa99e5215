"""Who may do what with notifications.

Every logged-in user reads and marks their own notifications (checked by recipient in the
services, not by role). Resending or abandoning an outbound message is the administrator's.
"""

from __future__ import annotations

from tenderwatch.org.models import Role
from tenderwatch.org.scoping import has_any_role, register, writer

RULES = {
    "notifications.message.manage": writer(has_any_role(Role.ADMINISTRATOR)),
}

register(RULES)
