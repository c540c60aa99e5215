from tenderwatch.org.models import Role
from tenderwatch.org.scoping import has_any_role, register

register(
    {
        # Auditors and administrators browse and verify the trail; the office sees it too, to
        # answer for its own acts.
        "audit.view": has_any_role(Role.AUDITOR, Role.ADMINISTRATOR, Role.OFFICE_STAFF),
        "audit.verify": has_any_role(Role.AUDITOR, Role.ADMINISTRATOR),
    }
)
