"""Who may import files into the ledger (OCDS, spreadsheets) and export from it.

Imported from the OCDS views (and so registered as soon as the URLconf loads) and from the bulk
writer. Reading and exporting needs only `ledger.view`; an import writes in bulk, so it is for
the office and administrators, like manual entry (`ledger.write`).
"""

from __future__ import annotations

from tenderwatch.org.models import Role
from tenderwatch.org.scoping import has_any_role, register

register({"ledger.import": has_any_role(Role.ADMINISTRATOR, Role.OFFICE_STAFF)})
