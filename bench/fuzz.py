"""The long fuzz run: the properties of tests/test_fuzz.py and tests/gemeente/test_gemeente_fuzz.py
with many more examples, every hostile number in the sweep, and a new seed each run.

    .venv/bin/python bench/fuzz.py                      # 2,000 examples a property
    .venv/bin/python bench/fuzz.py --examples 10000     # longer
    .venv/bin/python bench/fuzz.py --seed 1234          # repeat a run
    .venv/bin/python bench/fuzz.py --record             # also append the run to bench/README.md

The test suite runs the same properties with a bounded number of examples, derandomized, so
`make test` stays quick; this run is where new cases are found. A failure prints the
smallest request hypothesis could shrink it to, and the seed to repeat it with.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "bench" / "README.md"
TESTS = ["tests/test_fuzz.py", "tests/gemeente/test_gemeente_fuzz.py"]
PROPERTIES = 4  # the hypothesis tests in TESTS: forms and inbox, for each role


def run(examples: int, seed: int) -> tuple[int, str, float]:
    env = {
        **os.environ,
        "FUZZ_EXAMPLES": str(examples),
        "FUZZ_SEED": str(seed),
        "FUZZ_SWEEP": "full",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--hypothesis-seed={seed}",
        *TESTS,
    ]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples a property")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (random)")
    parser.add_argument("--record", action="store_true", help="append to bench/README.md")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)

    code, output, seconds = run(args.examples, seed)
    summary = re.findall(r"^=*\s*(\d+ (?:passed|failed).*?)\s*=*$", output, re.M)
    outcome = {0: "PASS", 1: "FAIL"}.get(code, f"ERROR (pytest exit {code})")
    line = (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {args.examples} | {seed} | "
        f"{args.examples * PROPERTIES} + sweep | {seconds:.0f} s | {outcome} |"
    )
    print(output if code else (summary[-1] if summary else output))
    print(f"{outcome}: {args.examples} examples a property, seed {seed}, {seconds:.0f} s")
    if args.record and code in (0, 1):  # an interrupted run says nothing either way
        content = README.read_text(encoding="utf-8")
        marker = "<!-- fuzz runs -->"
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        content = content.replace(marker, f"{line} {machine} |\n{marker}")
        README.write_text(content, encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
