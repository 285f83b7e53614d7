"""A minimal SMTP server in the test's process, for what the real sink cannot do: run a test's
function while a message is being handed over (`during`), or refuse the next messages (`refuse`)."""

import socketserver
import threading


class SmtpDouble:
    def __init__(self, port=0):
        self.messages, self.during, self.refuse, self.port = [], None, 0, port

    def start(self):
        double = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.say("220 double ESMTP")
                while line := self.rfile.readline():
                    verb = line.decode("ascii", "replace").strip().split(" ")[0].upper()
                    if verb == "QUIT":
                        self.say("221 bye")
                        return
                    if verb == "DATA":
                        self.say("354 go on")
                        data = b""
                        while not data.endswith(b"\r\n.\r\n"):
                            data += self.rfile.readline()
                        self.say(double.accept(data))
                    else:
                        self.say("250 ok")

            def say(self, text):
                self.wfile.write(text.encode() + b"\r\n")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.url = f"smtp://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def accept(self, data):
        if self.during is not None:
            self.during()
        if self.refuse > 0:
            self.refuse -= 1
            return "451 try again later"
        self.messages.append(data)
        return "250 accepted"

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
