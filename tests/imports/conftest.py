"""The import's tests run on a machine shared by many: the child that reads a workbook gets
all the time it needs here, and its time limit is tested on its own
(test_rules.py::test_a_child_that_takes_too_long_is_stopped)."""

import pytest

from bot.imports import workbook


@pytest.fixture(autouse=True)
def patient_reader(monkeypatch):
    monkeypatch.setattr(workbook, "READ_TIMEOUT", 30.0)
