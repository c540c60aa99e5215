"""Screening: the statutory rule engine, collusion and red-flag screens, the tender-document
clause check, and the warnings they raise with their handling to closure."""
