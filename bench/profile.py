"""Where the CPU goes: `BENCH_PROFILE=1 make bench` samples every service process with py-spy
(`make tools` installs it) during the full purchases, and writes, beside the table,
`bench-results/profile.md`: per process, the share of its samples spent in each layer (our code,
SQLAlchemy, psycopg2, nameko, kombu/amqp, eventlet, JSON, logging, ...) by the innermost frame
of a known layer, and its hottest functions. py-spy runs beside the services (not paused:
`--nonblocking`), so rates measured with it are a little lower; the shares are what it is for.

`python -m bench.profile bench-results/profile-*.txt` summarises collapsed stacks again."""

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

RATE = 100  # samples per second

# the layer of a frame, by where its file lives (first match, innermost frame first)
LAYERS = (
    ("sqlalchemy", "SQLAlchemy"),
    ("psycopg2", "psycopg2"),
    ("psycogreen", "psycopg2"),
    ("nameko", "nameko"),
    ("kombu", "kombu/amqp"),
    ("amqp/", "kombu/amqp"),
    ("eventlet", "eventlet"),
    ("greenlet", "eventlet"),
    ("json", "JSON"),
    ("logging", "logging"),
    ("marshmallow", "marshmallow"),
    ("werkzeug", "werkzeug"),
    ("jinja2", "Jinja2"),
    ("cryptography", "cryptography"),
    ("prometheus_client", "prometheus"),
    ("redis", "redis"),
    ("email/", "email"),
    ("smtplib", "email"),
    ("services/", "kameng"),
    ("gateway/", "kameng"),
)


def spy() -> str | None:
    tools = os.environ.get("KAMENG_TOOLS_BIN", "")
    found = Path(tools, "py-spy") if tools else None
    return str(found) if found and found.exists() else shutil.which("py-spy")


def start(procs, seconds: float, out: Path) -> list[subprocess.Popen]:
    """py-spy on each process for `seconds` (nothing unless BENCH_PROFILE is set and py-spy is found)."""
    if not os.environ.get("BENCH_PROFILE"):
        return []
    binary = spy()
    if binary is None:
        print("BENCH_PROFILE: no py-spy (make tools installs it); no profile", file=sys.stderr)
        return []
    out.mkdir(exist_ok=True)
    record = [binary, "record", "--nonblocking", "-r", str(RATE), "-d", str(int(seconds)), "-f", "raw"]
    return [
        subprocess.Popen(
            [*record, "-o", str(out / f"profile-{proc.service}.txt"), "-p", str(proc.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for proc in procs
    ]


def finish(spies: list[subprocess.Popen], out: Path) -> None:
    if not spies:
        return
    for s in spies:
        s.wait(60)
    report = summary(sorted(out.glob("profile-*.txt")))
    (out / "profile.md").write_text(report)
    print(report)


def _layer(frame: str) -> str | None:
    for needle, layer in LAYERS:
        if needle in frame:
            return layer
    return None


def digest(path: Path) -> tuple[Counter, Counter, int]:
    """(samples by layer, samples by innermost function, all samples) of a collapsed-stack file.
    Idle samples (a green thread waiting in the hub: epoll) count apart, as `idle`."""
    layers, functions, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        leaf = frames[-1]
        if "epoll" in leaf or "(poll)" in leaf or "select (" in leaf:
            layers["idle"] += n
            continue
        functions[leaf.split(" (")[0] + " " + leaf.rsplit("/", 1)[-1].rstrip(")")] += n
        layer = next((found for frame in reversed(frames) if (found := _layer(frame))), "other (stdlib, ssl, ...)")
        layers[layer] += n
    return layers, functions, total


def summary(paths: list[Path]) -> str:
    lines = ["# Where each process's CPU goes during the full purchases (py-spy samples)", ""]
    for path in paths:
        layers, functions, total = digest(path)
        busy = total - layers.get("idle", 0)
        if not busy:
            continue
        name = path.stem.removeprefix("profile-")
        shares = ", ".join(f"{layer} {n / busy:.0%}" for layer, n in layers.most_common() if layer != "idle")
        lines.append(f"- **{name}** ({busy} busy samples): {shares}")
        hot = "; ".join(f"{fn} {n / busy:.1%}" for fn, n in functions.most_common(6))
        lines.append(f"  hottest: {hot}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(summary([Path(p) for p in sys.argv[1:]]))
