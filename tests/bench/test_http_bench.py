"""The HTTP benchmark, small: a few thousand tickets, a second a page, so the harness never rots.
It starts real gunicorn workers, a Celery worker and wrk against its own database."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench_database_url():
    base, _sep, name = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk").rpartition("/")
    if not base.startswith("postgres"):
        (pytest.fail if in_ci() else pytest.skip)("the benchmark needs PostgreSQL")
    return f"{base}/{name}_httpbench"


def test_it_measures_every_page_against_the_ceiling(bench_database_url, tmp_path):
    if shutil.which("wrk") is None:
        if in_ci():
            pytest.fail("wrk is not installed (apt-get install -y wrk; .ci/setup installs it)")
        pytest.skip("wrk is not installed")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "bench/http_bench.py", "--quick", "--database-url", bench_database_url,
               "--redis-url", redis_url, "--out", str(tmp_path)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / "latest.json").read_text())
    names = [page["name"] for page in result["pages"]]
    assert names[0].startswith("ceiling") and result["ceiling_rps"] > 0
    expected_pages = (
        "Unassigned queue, deep page",
        "My requests (organisation",
        "request page, agent",
        "portal search: rare word",
        "agent search: an e-mail address",
        "submit a request with",
    )
    for expected in expected_pages:
        assert any(name.startswith(expected) for name in names), expected
    for page in result["pages"]:
        assert page["ok"] > 0 and page["errors"] == 0, page
        assert 0 < page["share_of_ceiling"] and page["p50"] <= page["p95"] <= page["p99"]
    for name, check in result["submissions"].items():
        assert check["ok"] and check["rows"] >= check["accepted"] > 0, (name, check)
        assert check["outbox_unsent_after_60s"] == 0, (name, check)
    assert result["worker_rss_mb"]["peak"] and all(0 < mb < 250 for mb in result["worker_rss_mb"]["peak"])
    table = (tmp_path / "latest.md").read_text()
    assert "| page | req/s | p50 ms | p95 ms | p99 ms | errors | share of the ceiling |" in table
