#!/usr/bin/env python3
"""Compares the test times of two `make test` logs (scripts/test.sh keeps one per commit in var/test-logs/).

    scripts/test-times.py BEFORE.log AFTER.log [--threshold SECONDS]

Prints both totals, the time of the tests both runs have (matched by name), every such test that got slower by more
than the threshold and 10 %, and the tests only one run has. Compare runs made on the same machine, one after the
other: the CPU model differs from machine to machine.
"""
import argparse
import re
import sys

TEST = re.compile(r'Test (".*?")(?: with \d+ test cases?)? (passed|failed) after ([0-9.]+) seconds')
RUN = re.compile(r'Test run with (\d+) tests? in (\d+) suites? (passed|failed) after ([0-9.]+) seconds')


def read(path):
    tests, total = {}, None
    with open(path, errors="replace") as log:
        for line in log:
            if match := TEST.search(line):
                tests[match.group(1)] = float(match.group(3))
            elif match := RUN.search(line):
                total = (int(match.group(1)), int(match.group(2)), match.group(3), float(match.group(4)))
    if total is None:
        sys.exit(f"test-times: {path} has no 'Test run with N tests' line; pass the log of a finished run")
    return tests, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--threshold", type=float, default=0.5, help="seconds a test may grow unreported")
    arguments = parser.parse_args()
    before, before_total = read(arguments.before)
    after, after_total = read(arguments.after)
    for name, (tests, suites, outcome, seconds) in (("before", before_total), ("after", after_total)):
        print(f"{name}: {tests} tests in {suites} suites, {outcome}, {seconds:.1f} s")
    common = [name for name in before if name in after]
    print(f"in both: {len(common)} tests, {sum(before[n] for n in common):.1f} s before, "
          f"{sum(after[n] for n in common):.1f} s after")
    slower = [n for n in common if after[n] - before[n] > arguments.threshold and after[n] > before[n] * 1.1]
    print(f"slower by more than {arguments.threshold} s and 10 %: {len(slower)}")
    for name in sorted(slower, key=lambda n: before[n] - after[n]):
        print(f"  {before[name]:7.2f} -> {after[name]:7.2f} s  {name}")
    for label, only, times in (("only before", set(before) - set(after), before),
                               ("only after", set(after) - set(before), after)):
        print(f"{label}: {len(only)} tests, {sum(times[n] for n in only):.1f} s")
        for name in sorted(only, key=lambda n: -times[n]):
            print(f"  {times[name]:7.2f} s  {name}")


if __name__ == "__main__":
    main()
