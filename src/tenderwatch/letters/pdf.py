"""PDF copies of letters through LibreOffice in headless mode, where it is installed.

Without `soffice`/`libreoffice` on PATH, `available()` is False and nothing fails: the pages
offer the Word file only. With it, CJK text is set in the fonts the template names, falling back
to Noto Serif/Sans CJK SC (Debian's fonts-noto-cjk) where 仿宋, 宋体 or 黑体 are not installed:
the conversion runs with `fonts/fonts.conf` as its fontconfig file, which adds those rules to
the system's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings

TIMEOUT_SECONDS = 120
FONTS_CONF = Path(__file__).with_name("fonts") / "fonts.conf"


def executable() -> str | None:
    configured = getattr(settings, "TW_LETTERS_SOFFICE", "")
    if configured:
        return shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return executable() is not None


def convert(docx: bytes) -> bytes:
    """The PDF of a .docx (RuntimeError if the conversion fails or LibreOffice is absent)."""
    exe = executable()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="tw-letter-") as tmp:
        folder = Path(tmp)
        source = folder / "letter.docx"
        source.write_bytes(docx)
        profile = (folder / "profile").as_uri()
        subprocess.run(  # noqa: S603 — fixed arguments, no shell
            [
                exe,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                str(source),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)},
            timeout=TIMEOUT_SECONDS,
        )
        target = folder / "letter.pdf"
        if not target.exists():
            raise RuntimeError("LibreOffice produced no PDF")
        return target.read_bytes()
