"""The read replica (helpdesk/db_router.py) with a real streaming replica: a private primary
cluster, a standby made by pg_basebackup, and the app in a process of its own pointed at both."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.stack import PG_BIN, PostgresCluster

ROOT = Path(__file__).resolve().parents[2]


def test_stale_reads_go_to_the_replica_and_everything_else_to_the_primary():
    primary = PostgresCluster().init()
    replica = PostgresCluster()
    try:
        primary.start()
        primary.create_database("app")
        replica._as_postgres(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                             "-U", "postgres", "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        replica.start()
        assert replica.execute("SELECT pg_is_in_recovery()") == [(True,)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            DJANGO_SETTINGS_MODULE="helpdesk.settings", DEBUG="1", DATABASE_URL=primary.url("app"),
            DATABASE_REPLICA_URL=replica.url("app"), REDIS_URL="", LIST_COUNT_CACHE_SECONDS="0",
            VAR_DIR=str(primary.dir / "var"),
        )  # fmt: skip
        done = subprocess.run([sys.executable, "tests/helpdesk/replica_script.py"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
        found = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("JSON "))[5:])
    finally:
        replica.stop(mode="immediate")
        primary.stop(mode="immediate")
    assert found["replica_in_recovery"] is True
    # Search and counts read the standby, which holds the request written on the primary.
    assert found["search"]["found"] and found["search"]["replica"] > 0 and found["search"]["primary"] == 0
    assert found["counts"]["counts"] == {"created": 1} and found["counts"]["replica"] > 0
    assert found["counts"]["primary"] == 0
    # In a transaction, after a write, and for every other read: the primary.
    assert found["in_transaction"]["replica"] == 0 and found["in_transaction"]["primary"] > 0
    assert found["after_write"]["replica"] == 0 and found["after_write"]["primary"] > 0
    assert found["ordinary_read"]["replica"] == 0
