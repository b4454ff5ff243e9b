"""The README's API walk-through, run as written (bash, curl, jq) against a live server: token,
catalogue, a request with a file, a comment, resolved."""

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT, require
from tickets.models import Ticket


def walkthrough_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Walk-through", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the README's walk-through has no bash block"
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_the_readme_walkthrough_runs_against_a_live_server(live_server, catalogue, customer, tmp_path):
    for tool in ("bash", "curl", "jq"):
        require(bool(shutil.which(tool)), f"{tool} not installed")
    env = {"PATH": "/usr/bin:/bin", "BASE": live_server.url, "EMAIL": customer.email, "PASSWORD": "pw-for-tests-1"}
    result = subprocess.run(
        ["bash", "-c", walkthrough_script()], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ticket = Ticket.objects.get(requester=customer)
    assert f"Opened {ticket.reference}" in result.stdout
    assert result.stdout.strip().endswith(f"{ticket.reference}: resolved")
    assert ticket.status == "resolved"
    assert ticket.attachments.get().original_name == "walkthrough-notes.txt"
    assert ticket.activities.filter(body="It works again after clearing the browser cache.").exists()
    assert not any(tmp_path.iterdir())  # it cleans up after itself
