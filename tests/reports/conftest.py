import pytest

from .fixtures import refreshed, week  # noqa: F401 - the fixed week, for every report test


@pytest.fixture(autouse=True)
def _refresh_by_beat_only(settings):
    # The tests refresh the tables themselves (as beat would); the embedded default's
    # refresh-on-view is tested on its own.
    settings.REPORTS_REFRESH_ON_VIEW = False
