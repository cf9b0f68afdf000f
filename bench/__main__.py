"""Run quizapp's benchmarks, print one table and write docs/benchmarks.md.

    python -m bench                   # every benchmark (make bench)
    python -m bench replay            # only the named ones
    python -m bench --quick           # smaller sizes, for a quick look
    python -m bench queue --rebuild   # rebuild the benchmark databases first

Adding a benchmark: create ``bench/<name>.py`` whose module docstring starts with a one-line
title and which defines ``run(quick: bool) -> list[Result]`` (and ``USES_DATABASE = False`` if
it touches no database), then add ``<name>`` to ``BENCHMARKS`` below. A ``Result``
(``bench/__init__.py``) is a figure with its unit and a reference measured in the same run,
and optionally a ``Target`` on their ratio (``at_most(1.5)``). Keep the reference honest: the
same work without the thing measured (the bare library loop, the database with one learner),
interleaved with the measurement where possible. Benchmark-specific options travel as
environment variables (``BENCH_REBUILD``, ``BENCH_DATABASE_URL``), so ``run`` keeps one
signature. A benchmark that needs Django runs it in a subprocess with ``DATABASE_URL`` set (see
``bench/queue.py``); the runner itself never sets Django up.

docs/benchmarks.md keeps one section per benchmark, between ``<!-- bench:NAME -->`` markers;
running some benchmarks rewrites only their sections.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from bench import Result

BENCHMARKS = ("replay", "exam", "queue", "api", "load", "scale", "throughput", "slow_clients")
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Written by `make bench` (`python -m bench`, see `bench/__main__.py`); do not edit by hand.
Each figure is compared with a reference measured in the same run, because absolute times on a
shared machine drift; targets are set on that ratio. Nobody times these in CI.
"""


@dataclass(frozen=True)
class Section:
    """One benchmark's results as they go into the table and the markdown."""

    name: str
    title: str
    results: list[Result]
    seconds: float
    quick: bool
    error: str = ""
    database: str = ""  # what it ran on, for the header; empty when it uses none
    load_average: float | None = None  # of the machine, over the last minute of the run


def load(name: str) -> ModuleType:
    return importlib.import_module(f"bench.{name}")


def title_of(module: ModuleType) -> str:
    doc = (module.__doc__ or "").strip()
    return doc.splitlines()[0].rstrip(".") if doc else module.__name__


def run_benchmark(
    name: str, *, quick: bool, loader: Callable[[str], ModuleType] | None = None
) -> Section:
    """Run one benchmark; a failure is reported in its section, not raised."""
    module = (loader or load)(name)
    started = time.monotonic()
    try:
        results = list(module.run(quick))
        error = ""
    except Exception:
        results, error = [], traceback.format_exc()
    seconds = time.monotonic() - started
    used = database() if getattr(module, "USES_DATABASE", True) else ""
    return Section(name, title_of(module), results, seconds, quick, error, used, os.getloadavg()[0])


# --- formatting -----------------------------------------------------------------------------


def number(value: float | None) -> str:
    """Thousands separators for big figures, three significant digits for small ones."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def row(result: Result) -> list[str]:
    reference = "—"
    if result.reference is not None:
        reference = f"{number(result.reference)} {result.unit}"
        if result.reference_name:
            reference += f" ({result.reference_name})"
    met = {None: "—", True: "yes", False: "NO"}[result.met]
    return [
        result.name,
        f"{number(result.figure)} {result.unit}",
        reference,
        "—" if result.ratio is None else f"{result.ratio:.2f}",
        str(result.target) if result.target else "—",
        met,
        result.notes,
    ]


COLUMNS = ["benchmark", "figure", "reference", "ratio", "target", "met", "notes"]


def text_table(sections: Sequence[Section]) -> str:
    rows = [COLUMNS]
    for section in sections:
        rows += [row(result) for result in section.results]
        if section.error:
            rows.append([section.name, "failed", "", "", "", "", section.error.splitlines()[-1]])
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)) for r in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def machine() -> str:
    return (
        f"{platform.platform()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def database() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return "PostgreSQL (BENCH_DATABASE_URL)"
    return f"SQLite {sqlite3.sqlite_version} (files under bench/.data/)"


def markdown_section(section: Section, *, measured_at: datetime) -> str:
    mode = "quick sizes (--quick)" if section.quick else "full sizes"
    # Other work on the machine slows absolute figures (ratios much less): say how busy it was.
    load = "" if section.load_average is None else f", load average {section.load_average:.1f}"
    lines = [
        f"<!-- bench:{section.name} -->",
        f"## {section.title} (`{section.name}`)",
        "",
        f"Measured {measured_at:%Y-%m-%d %H:%M} UTC on {machine()}{load}; "
        f"database: {section.database or 'none'}; {mode}; took {section.seconds:.0f} s.",
        "",
    ]
    if section.results:
        lines.append("| " + " | ".join(COLUMNS) + " |")
        lines.append("|" + "---|" * len(COLUMNS))
        for result in section.results:
            cells = [cell.replace("|", "\\|") for cell in row(result)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if section.error:
        lines += ["The benchmark failed:", "", "```", section.error.rstrip(), "```", ""]
    for result in section.results:
        if result.details:
            lines += [f"**{result.name}**", "", result.details.rstrip(), ""]
    lines.append(f"<!-- /bench:{section.name} -->")
    return "\n".join(lines)


SECTION = re.compile(r"<!-- bench:(?P<name>[\w-]+) -->.*?<!-- /bench:(?P=name) -->", re.S)


def markdown(
    sections: Sequence[Section],
    *,
    previous: str = "",
    measured_at: datetime,
    order: Sequence[str] = BENCHMARKS,
) -> str:
    """The whole document: fresh sections for what ran, earlier ones kept for the rest."""
    blocks = {m["name"]: m.group(0) for m in SECTION.finditer(previous)}
    for section in sections:
        blocks[section.name] = markdown_section(section, measured_at=measured_at)
    names = [n for n in order if n in blocks] + [n for n in blocks if n not in order]
    return HEADER + "\n" + "\n\n".join(blocks[n] for n in names) + "\n"


# --- command line ---------------------------------------------------------------------------


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run quizapp's benchmarks."
    )
    parser.add_argument("names", nargs="*", metavar="name", help=f"of {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild benchmark databases (BENCH_REBUILD=1)"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.rebuild:
        os.environ["BENCH_REBUILD"] = "1"
    sections = []
    for name in args.names or BENCHMARKS:
        print(f"running {name}…", file=sys.stderr, flush=True)
        sections.append(run_benchmark(name, quick=args.quick))
    print(text_table(sections))
    previous = args.output.read_text() if args.output.exists() else ""
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(markdown(sections, previous=previous, measured_at=datetime.now(UTC)))
    print(f"\nwritten to {args.output}", file=sys.stderr)
    for section in sections:
        if section.error:
            print(f"\n{section.name} failed:\n{section.error}", file=sys.stderr)
    return 1 if any(section.error for section in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
