import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def skipping_suite(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_passes():
            pass

        def test_needs_a_service():
            pytest.skip("service missing")
        """
    )
    return pytester


def test_it_fails_a_skipped_test_in_ci(skipping_suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = skipping_suite.runpytest("-p", "tests.plugins.ci_no_skip", "-p", "no:django")
    result.assert_outcomes(passed=1, failed=1, skipped=0)
    result.stdout.fnmatch_lines(["*Skipped in CI, which is not allowed*service missing*"])


def test_it_lets_a_skip_be_a_skip_outside_ci(skipping_suite, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = skipping_suite.runpytest("-p", "tests.plugins.ci_no_skip", "-p", "no:django")
    result.assert_outcomes(passed=1, skipped=1)
