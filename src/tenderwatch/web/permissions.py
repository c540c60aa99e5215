from tenderwatch.org.models import Role
from tenderwatch.org.scoping import has_any_role, register

register(
    {
        # The Django admin, where administrators keep master data (AuditedModelAdmin).
        "web.admin_site": has_any_role(Role.ADMINISTRATOR),
    }
)
