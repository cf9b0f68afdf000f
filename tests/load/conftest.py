"""The load tests' reports, printed at the end of the pytest run (terminal summary)."""

import pytest

SUMMARIES: list[str] = []


@pytest.fixture
def print_at_end():
    """Keep a text for the "load and fault runs" section at the end of the run."""
    return SUMMARIES.append


def pytest_terminal_summary(terminalreporter):
    if SUMMARIES:
        terminalreporter.section("load and fault runs")
        for text in SUMMARIES:
            terminalreporter.write_line(text)
