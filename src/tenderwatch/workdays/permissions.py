from tenderwatch.org.models import Role
from tenderwatch.org.scoping import has_any_role, register

register(
    {
        # Every staff role reads the calendar: deadlines are shown everywhere.
        "workdays.view": has_any_role(*Role.values),
        # The office enters each year's State Council notice; the administrator may too.
        "workdays.manage": has_any_role(Role.OFFICE_STAFF, Role.ADMINISTRATOR),
    }
)
