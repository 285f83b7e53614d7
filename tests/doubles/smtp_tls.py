"""A real SMTP server for the mail tests, in its own process (aiosmtpd runs an asyncio loop, which
must not share a thread with eventlet's green ones): `python -m tests.doubles.smtp_tls --port P
--record FILE [--cert C --key K]`. With a certificate it offers STARTTLS; it accepts any login.
Each message received appends a line "<tls in use> <logged in> <client's port>" (1 or 0, 1 or 0, the
port naming the connection) to FILE."""

import argparse
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Record:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        with open(self.path, "a") as out:
            out.write(f"{int(session.ssl is not None)} {int(bool(session.authenticated))} {session.peer[1]}\n")
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)
    controller = Controller(
        Record(args.record),
        hostname="127.0.0.1",
        port=args.port,
        tls_context=tls,
        authenticator=lambda *_: AuthResult(success=True),
        auth_require_tls=False,  # this test server would take a password in clear: the client must not
    )
    controller.start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
