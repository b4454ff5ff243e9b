"""With CI=true, a skipped test is a failed test: a missing service must fail loudly."""

import os

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, which is not allowed: {reason}"


def pytest_terminal_summary(terminalreporter):
    if _in_ci():
        skipped = len(terminalreporter.stats.get("skipped", []))
        terminalreporter.write_line(f"CI: {skipped} skipped (skips count as failures here)")
