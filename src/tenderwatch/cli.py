"""`tenderwatch` — the command line: every Django management command, with the project's own.

tenderwatch setup --district huangzhou   load a district's configuration
tenderwatch demo                         migrate, load demo data, serve on 127.0.0.1:8000
tenderwatch audit verify                 walk the audit chain and check its anchors
tenderwatch workdays import FILE         enter a year's holiday schedule
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenderwatch.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tenderwatch", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
