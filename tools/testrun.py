"""`make test`'s runner: the suite in parallel shards, then the failure tests alone.

Each shard is its own pytest process, so it has its own throw-away database (tests/conftest.py),
its own vhosts (one per integration test, one per end-to-end module: tests/e2e/conftest.py), its
own mail sink, and its own slice of the ports `free_port` hands out (`KAMENG_TEST_SHARD`). Files go
to shards longest first, by the seconds `tests/durations.json` records for them (`--record`
rewrites it from the run's JUnit reports; a file it does not know counts as the median).
tests/e2e/failures runs after the shards, alone: it measures the system under its own load and
stops a private broker. Tried beside the shards (December 2026), the broker-outage test then had
buyers waiting more than its 15 s for a create sent just before the broker stopped (the gateway's
create deadline is 20 s; the reconnects took longer on a busy box).

Why not pytest-xdist: its execnet channels hang under eventlet's monkey-patching, which every
test process needs first (tests/conftest.py); tried, 'bringing up nodes...' never ended.

    python -m tools.testrun [--workers N] [--record] [paths ...] [-- pytest arguments]

A path that is not a directory (a file, a test id) runs in one pytest process as given.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

DURATIONS = Path("tests/durations.json")
ALONE = "tests/e2e/failures"  # run after the shards, with nothing else on the machine
RUNS = Path("var/test-runs")
SHOWN_LINES = 300  # of a failed shard's log, printed at the end


def test_files(paths: list[str]) -> list[str]:
    found: list[str] = []
    for path in paths:
        found += sorted(str(p) for p in Path(path).rglob("test_*.py"))
    return found


def shards(files: list[str], workers: int, seconds: dict[str, float]) -> list[list[str]]:
    """Files onto `workers` shards, longest first, each onto the shard with least time so far."""
    default = statistics.median(seconds.values()) if seconds else 5.0
    loads: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(workers)]
    for file in sorted(files, key=lambda f: -seconds.get(f, default)):
        i = min(range(workers), key=lambda k: loads[k][0])
        loads[i] = (loads[i][0] + seconds.get(file, default), loads[i][1] + [file])
    return [sorted(files) for _, files in loads if files]


def start(name: str, files: list[str], pytest_args: list[str], shard: str) -> tuple[subprocess.Popen, Path]:
    log = RUNS / f"{name}.log"
    command = [sys.executable, "-m", "pytest", *files, *pytest_args]
    command += ["--junitxml", str(RUNS / f"{name}.xml"), "-o", "junit_family=xunit1"]
    env = {**os.environ, "KAMENG_TEST_SHARD": shard}
    with log.open("w") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env), log


def summary(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else "(no output)"


def show(log: Path) -> None:
    lines = log.read_text(errors="replace").splitlines()
    failures = next((i for i, line in enumerate(lines) if " FAILURES " in line or " ERRORS " in line), None)
    part = lines[failures:] if failures is not None else lines
    print(f"\n---- {log} ({len(part)} lines from its failures on; last {SHOWN_LINES} shown) ----")
    print("\n".join(part[-SHOWN_LINES:]))


def run(groups: list[tuple[str, list[str], str]], pytest_args: list[str]) -> list[Path]:
    """Runs the groups at once; answers the logs of those that failed."""
    began = time.monotonic()
    running = {name: (*start(name, files, pytest_args, shard), len(files)) for name, files, shard in groups}
    failed = []
    while running:
        for name, (process, log, count) in list(running.items()):
            if process.poll() is None:
                continue
            del running[name]
            print(f"[{time.monotonic() - began:6.0f}s] {name} ({count} files): {summary(log)}", flush=True)
            if process.returncode != 0:
                failed.append(log)
        time.sleep(0.5)
    return failed


def record(paths: list[Path]) -> None:
    seconds = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    measured: dict[str, float] = {}
    for path in paths:
        for case in ET.parse(path).getroot().iter("testcase"):
            file = case.get("file")
            if file:
                measured[file] = measured.get(file, 0.0) + float(case.get("time") or 0)
    seconds.update({f: round(s, 1) for f, s in measured.items()})
    DURATIONS.write_text(json.dumps(dict(sorted(seconds.items())), indent=1) + "\n")
    print(f"recorded the seconds of {len(measured)} files in {DURATIONS}")


def main() -> int:
    argv = sys.argv[1:]
    pytest_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("KAMENG_TEST_WORKERS", "3")))
    parser.add_argument("--record", action="store_true", help="rewrite tests/durations.json from this run")
    parser.add_argument("paths", nargs="*", default=["tests"])
    options = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    RUNS.mkdir(parents=True, exist_ok=True)
    for old in RUNS.glob("*"):
        old.unlink()
    if any(not Path(p).is_dir() for p in options.paths):  # files or test ids: as given, one process
        return subprocess.call([sys.executable, "-m", "pytest", *options.paths, *pytest_args])
    files = test_files(options.paths)
    alone = [f for f in files if f.startswith(ALONE + "/")]
    seconds = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    planned = shards([f for f in files if f not in alone], max(1, options.workers), seconds)
    began = time.monotonic()
    print(f"{len(files)} test files: {len(planned)} shards at once, then {len(alone)} alone", flush=True)
    groups = [(f"shard-{i + 1}", part, f"{i}/{len(planned)}") for i, part in enumerate(planned)]
    failed = run(groups, pytest_args)
    if alone:
        failed += run([("alone", alone, "0/1")], pytest_args)
    print(f"\n{time.monotonic() - began:.0f}s in all", flush=True)
    if options.record:
        record(sorted(RUNS.glob("*.xml")))
    for log in failed:
        show(log)
    print("FAILED: " + ", ".join(log.stem for log in failed) if failed else "all shards passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
