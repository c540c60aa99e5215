"""Settings an office sets through the environment (docs/deploy.md) are read from it: a fresh
interpreter imports the settings with and without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

NAMES = (
    "TW_SCREEN_ON_CHANGE",
    "TW_SCREEN_COLLUSION_ON_CHANGE",
    "TW_SCREEN_OFFICE_HEAD_LEVEL",
    "TW_LETTERS_ORGAN_CODE",
    "TW_LETTERS_SOFFICE",
)


def _settings(**env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if k not in NAMES}
    code = (
        "import json, tenderwatch.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(NAMES)!r}}}))"
    )
    done = subprocess.run(  # noqa: S603 — this interpreter, fixed arguments
        [sys.executable, "-c", code],
        env={**clean, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(done.stdout))


def test_screening_and_letters_settings_come_from_the_environment() -> None:
    assert _settings() == {
        "TW_SCREEN_ON_CHANGE": True,
        "TW_SCREEN_COLLUSION_ON_CHANGE": True,
        "TW_SCREEN_OFFICE_HEAD_LEVEL": 3,
        "TW_LETTERS_ORGAN_CODE": "",
        "TW_LETTERS_SOFFICE": "",
    }
    assert _settings(
        TW_SCREEN_ON_CHANGE="false",
        TW_SCREEN_COLLUSION_ON_CHANGE="0",
        TW_SCREEN_OFFICE_HEAD_LEVEL="2",
        TW_LETTERS_ORGAN_CODE="团风公管",
        TW_LETTERS_SOFFICE="/opt/libreoffice/program/soffice",
    ) == {
        "TW_SCREEN_ON_CHANGE": False,
        "TW_SCREEN_COLLUSION_ON_CHANGE": False,
        "TW_SCREEN_OFFICE_HEAD_LEVEL": 2,
        "TW_LETTERS_ORGAN_CODE": "团风公管",
        "TW_LETTERS_SOFFICE": "/opt/libreoffice/program/soffice",
    }
