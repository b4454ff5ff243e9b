"""A real HTTP receiver on loopback for the webhook tests: records every POST it reads, answers
with the statuses it is told to, can hold its answer (a sender killed meanwhile never hears it),
and can be stopped and started again on the same port."""

import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def delivery_id(self) -> str:
        return self.headers.get("x-helpdesk-delivery", "")


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # An answer written to a sender that was killed meanwhile: expected in the fault tests.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


class Receiver:
    def __init__(self, port: int | None = None, *, tls=None):
        self.port = port or 0
        self.tls = tls  # an ssl.SSLContext: serve HTTPS
        self.received: list[Received] = []
        self.statuses: list[int] = []  # answered in turn; 200 once they run out
        self.redirect_to: str | None = None
        self._holding = threading.Event()
        self._held = 0
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    # --- control
    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._cond:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._cond.notify_all()
                receiver._gate()
                self.send_response(status)
                if receiver.redirect_to and 300 <= status < 400:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answered {status}".encode())

            def log_message(self, *args):
                pass

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hold(self) -> None:
        self._holding.set()

    def release(self) -> None:
        self._holding.clear()

    def _gate(self) -> None:
        if not self._holding.is_set():
            return
        with self._cond:
            self._held += 1
            self._cond.notify_all()
        while self._holding.is_set():
            time.sleep(0.02)

    # --- waiting
    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        return self._wait(lambda: len(self.received) >= count, timeout, f"{count} request(s)")

    def wait_held(self, timeout: float = 20.0) -> None:
        self._wait(lambda: self._held >= 1, timeout, "a held request")

    def _wait(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}; got {len(self.received)}")
                self._cond.wait(remaining)
            return list(self.received)
