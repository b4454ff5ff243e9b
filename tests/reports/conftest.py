from .fixtures import refreshed, week  # noqa: F401 - the fixed week, for every report test
