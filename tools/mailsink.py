"""A real SMTP server for dev and tests that keeps every message it receives as a file:
`python -m tools.mailsink --port 8025 --dir var/mail`. (aiosmtpd runs on asyncio, so it
lives in a process of its own, away from eventlet.)"""

import argparse
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = f"{time.time_ns()}-{self.count}.eml"
        (self.folder / (name + ".tmp")).write_bytes(envelope.content)
        (self.folder / (name + ".tmp")).rename(self.folder / name)  # readers never see half a file
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="var/mail")
    args = parser.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Keep(folder), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink on {args.host}:{args.port}, keeping messages in {folder}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


if __name__ == "__main__":
    main()
