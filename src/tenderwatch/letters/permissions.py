"""Who may do what with official letters. Registered from `LettersConfig.ready()`.

- Templates: the office (领导小组办公室) keeps the Word templates (upload, revert); administrators
  too. Every staff role may read the list and download a template to see what it says.
- Letters: those who act on the matters letters are about issue them — office staff, department
  officers, enforcement officers, and leaders (a decision is issued when its approval ends).
  Auditors read and change nothing. Opening an issued letter also needs the kind's
  `view_permission` on its subject (checked in the service), so a department does not read the
  letters of another department's matter.
"""

from __future__ import annotations

from tenderwatch.org.models import Role
from tenderwatch.org.scoping import has_any_role, register, shared, writer

ISSUERS = (
    Role.OFFICE_STAFF,
    Role.DEPARTMENT_OFFICER,
    Role.ENFORCEMENT_OFFICER,
    Role.LEADER,
)

register(
    {
        "letters.template.view": shared(),
        "letters.template.manage": writer(has_any_role(Role.OFFICE_STAFF, Role.ADMINISTRATOR)),
        "letters.letter.issue": writer(has_any_role(*ISSUERS)),
        "letters.letter.view": shared(),
    }
)
