"""The built-in demo keys are refused when DEBUG is off (a fresh interpreter reads settings)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TW_COMPLAINTS_")}
    clean.pop("DEBUG", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import tenderwatch.settings as s; print(s.TW_COMPLAINTS_ACTIVE_KEY_ID)",
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_keys_only_with_debug() -> None:
    assert _import_settings(DEBUG="1").stdout.strip() == "demo-2026"
    refused = _import_settings(DEBUG="0")
    assert refused.returncode != 0 and "TW_COMPLAINTS_KEYS" in refused.stderr
    own = {
        "DEBUG": "0",
        "TW_COMPLAINTS_KEYS": f"k2026:{secrets.token_hex(16)},k2025:{secrets.token_hex(16)}",
        "TW_COMPLAINTS_ACTIVE_KEY_ID": "k2026",
        "TW_COMPLAINTS_HMAC_KEY": secrets.token_hex(32),
    }
    assert _import_settings(**own).stdout.strip() == "k2026"
    demo_again = {**own, "TW_COMPLAINTS_KEYS": "x:de30de30de30de30de30de30de30de30"}
    assert _import_settings(**demo_again).returncode != 0
