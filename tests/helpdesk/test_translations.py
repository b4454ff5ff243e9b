import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require

PO = Path(__file__).resolve().parents[2] / "locale" / "es" / "LC_MESSAGES" / "django.po"


def test_the_spanish_catalogue_is_complete_and_compiled(tmp_path):
    require(bool(shutil.which("msgfmt")), "msgfmt (gettext) is not installed")
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(compiled), str(PO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    # The committed .mo is what Django loads: it must be the compiled .po.
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run: msgfmt -o locale/es/LC_MESSAGES/django.mo"


@pytest.mark.django_db
def test_every_page_string_is_in_the_catalogue():
    """makemessages finds nothing new: no string was added without its translation."""
    require(bool(shutil.which("xgettext")), "xgettext (gettext) is not installed")
    root = PO.parents[3]
    before = PO.read_text()
    subprocess.run(
        [
            sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete", "--no-location",
            "--ignore=.venv", "--ignore=var", "--ignore=test-artifacts", "--ignore=tests",
        ],
        cwd=root, env={**os.environ, "DEBUG": "1"}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    try:
        result = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", str(PO)], capture_output=True, text=True)
        assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    finally:
        PO.write_text(before)
