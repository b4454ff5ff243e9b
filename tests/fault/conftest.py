"""Every test in this folder carries the `fault` marker (pytest -m fault, or -m "not fault")."""

from pathlib import Path

import pytest

from tests.conftest import require
from tests.stack import PostgresCluster, Template, missing_binaries

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.fault)


@pytest.fixture(scope="module")
def template(request):
    """A private PostgreSQL cluster with a migrated template database of TEMPLATE_USERS users
    (a module constant of the test file), shared by the module's tests."""
    missing = missing_binaries()
    require(not missing, f"fault tests need {', '.join(missing)}")
    cluster = PostgresCluster().init()
    try:
        cluster.start()
        template = Template(cluster, users=request.module.TEMPLATE_USERS).build()
        try:
            yield template
        finally:
            template.close()
    finally:
        cluster.close()
