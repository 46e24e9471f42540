"""Loopback servers for the network tests: an HTTP proxy (CONNECT tunnels and plain
forwarding), http/https origins, and a throw-away CA for the https one.

Bounded on purpose: everything binds 127.0.0.1, the proxy connects onward only to loopback
addresses, reads a request head of at most 64 KiB and gives up on a socket idle for 10 s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import select
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_HEAD = 64 * 1024
IDLE = 10.0


class LoopbackProxy:
    """`with LoopbackProxy() as proxy:` — `proxy.url`; `proxy.log` lists what it relayed:
    ("CONNECT", "host:port", proxy-authorization) or ("FORWARD", "GET http://…", auth)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log: list[tuple[str, str, str | None]] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> LoopbackProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        with contextlib.suppress(OSError):  # wake accept() up
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        self._thread.join(timeout=5)
        self._listener.close()

    def targets(self) -> list[tuple[str, str]]:
        return [(kind, target) for kind, target, _auth in self.log]

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            try:
                client.settimeout(IDLE)
                self._relay(client)
            except OSError:
                pass

    def _relay(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(65536)
            if not data or len(head) > MAX_HEAD:
                return
            head += data
        head, _, rest = head.partition(b"\r\n\r\n")
        first, *lines = head.decode("latin-1").split("\r\n")
        method, target, version = first.split(" ", 2)
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines if line]
        auth = next((v for k, v in headers if k.lower() == "proxy-authorization"), None)
        if method == "CONNECT":
            self.log.append(("CONNECT", target, auth))
            host, _, port = target.rpartition(":")
            if not _loopback(host):
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection((host.strip("[]"), int(port)), timeout=IDLE) as up:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                up.sendall(rest)
                _pipe(client, up)
            return
        self.log.append(("FORWARD", f"{method} {target}", auth))
        hostport, _, path = target.removeprefix("http://").partition("/")
        host, _, port = hostport.rpartition(":")
        if not target.startswith("http://") or not _loopback(host):
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        while len(rest) < length:
            data = client.recv(65536)
            if not data:
                return
            rest += data
        kept = [f"{k}: {v}" for k, v in headers if k.lower() not in ("connection",)]
        kept = [line for line in kept if not line.lower().startswith("proxy-")]
        out = "\r\n".join([f"{method} /{path} {version}", *kept, "Connection: close", "", ""])
        with socket.create_connection((host, int(port)), timeout=IDLE) as up:
            up.sendall(out.encode("latin-1") + rest)
            while data := up.recv(65536):  # the origin closes when done (Connection: close)
                client.sendall(data)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Relay both ways until either side closes or stays idle."""
    while True:
        ready, _, _ = select.select([a, b], [], [], IDLE)
        if not ready:
            return
        for side in ready:
            data = side.recv(65536)
            if not data:
                return
            (b if side is a else a).sendall(data)


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = f"hello {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Origin:
    """`with Origin(tls) as origin: origin.url` — http, or https with `tls=(cert, key)`."""

    def __init__(
        self, tls: tuple[Path, Path] | None = None, handler: type[BaseHTTPRequestHandler] = _Hello
    ) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Origin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_test_ca(directory: Path) -> tuple[Path, Path, Path]:
    """ca.pem, and server.pem + server.key for 127.0.0.1 signed by it.

    Uses `cryptography`, which the test extra already installs (volcengine-ark-runtime
    depends on it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seedance test CA")])

    def certificate(subject: x509.Name, public: Any) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
        )

    ca = (
        certificate(ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        certificate(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), key.public_key()
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = (directory / n for n in ("ca.pem", "server.pem", "server.key"))
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_pem, cert_pem, key_pem


# -- a server whose answers are scripted byte by byte ----------------------------------------

Script = Any  # (method, path) -> an iterable of the bytes to send, piece by piece


class Scripted:
    """`with Scripted(script) as server: server.url` — a loopback HTTP server that answers
    each request with the pieces `script(method, path)` yields (status line and head
    included), and closes the connection after it. A script drives time itself: a trickle
    advances the test's fake clock before each byte it sends, so the client sees the seconds
    pass without anyone sleeping. Bounded: at most `limit` bytes per answer; `sent` counts
    the bytes each answer sent, `requests` lists (method, path)."""

    def __init__(self, script: Script, limit: int = 64 * 1024) -> None:
        self.script = script
        self.limit = limit
        self.requests: list[tuple[str, str]] = []
        self.sent: list[int] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Scripted:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        with contextlib.suppress(OSError):
            socket.create_connection(self._listener.getsockname(), timeout=1).close()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            try:
                client.settimeout(IDLE)
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                head = b""
                while b"\r\n\r\n" not in head:
                    data = client.recv(65536)
                    if not data or len(head) > MAX_HEAD:
                        return
                    head += data
                first = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, target, _version = first.split(" ", 2)
                self.requests.append((method, target))
                sent = 0
                try:
                    for piece in self.script(method, target):
                        if sent + len(piece) > self.limit:
                            break
                        client.sendall(piece)
                        sent += len(piece)
                finally:
                    self.sent.append(sent)
            except OSError:
                pass


def trickle(data: bytes, clock: Any, seconds: float = 5.0) -> Any:
    """`data` a byte at a time, `seconds` passing on `clock` before each."""
    for byte in data:
        clock.advance(seconds)
        yield bytes([byte])


def http_answer(body: bytes, status: str = "200 OK", length: int | None = None) -> bytes:
    """A whole HTTP/1.1 answer's head (Content-Length: `length`, or the body's) and body."""
    size = len(body) if length is None else length
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body
