"""The app's server answers only its own host names and origins (DNS rebinding, cross-site WebSocket)."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import pytest

from recruitsim.app_logic.hostguard import HostOriginGuard, host_of
from recruitsim.cli import main as cli
from recruitsim.cli import serve

from .conftest import start_app, stop_app

ROOT = Path(__file__).resolve().parents[1]


async def _inner(scope, receive, send):
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def call(guard, scope_type="http", path="/", headers=()):
    sent = []

    async def receive():
        return {"type": "websocket.connect"} if scope_type == "websocket" else {"type": "http.request", "body": b""}

    async def send(msg):
        sent.append(msg)

    scope = {"type": scope_type, "path": path, "raw_path": path.encode("latin-1"),
             "headers": [(k.encode(), v.encode()) for k, v in headers]}
    # in a thread of its own: another test in this worker may have left an event loop running here
    worker = threading.Thread(target=lambda: asyncio.run(guard(scope, receive, send)))
    worker.start()
    worker.join(30)
    first = sent[0]
    return first.get("status") if first["type"] == "http.response.start" else first["type"]


def test_guard_checks_host_origin_and_nul():
    g = HostOriginGuard(_inner, serve.allowed_hosts("127.0.0.1"))
    assert call(g, headers=[("host", "127.0.0.1:8765")]) == 200
    assert call(g, headers=[("host", "localhost:8765")]) == 200
    assert call(g, headers=[("host", "[::1]:8765")]) == 200
    assert call(g, headers=[("host", "evil.example:8765")]) == 403
    assert call(g, headers=[]) == 403  # no Host header
    assert call(g, "websocket", headers=[("host", "127.0.0.1:8765"), ("origin", "http://127.0.0.1:8765")]) == "websocket.accept"
    assert call(g, "websocket", headers=[("host", "127.0.0.1:8765"), ("origin", "http://evil.example")]) == "websocket.close"
    assert call(g, "websocket", headers=[("host", "127.0.0.1:8765"), ("origin", "null")]) == "websocket.close"
    assert call(g, "websocket", headers=[("host", "127.0.0.1:8765")]) == "websocket.accept"  # not a browser page
    assert call(g, path="/static/\x00/etc/passwd", headers=[("host", "127.0.0.1")]) == 400
    opened = HostOriginGuard(_inner, serve.allowed_hosts("127.0.0.1", ["app.example.org"]), ["https://tool.example"])
    assert call(opened, headers=[("host", "app.example.org")]) == 200
    assert call(opened, "websocket", headers=[("host", "app.example.org"), ("origin", "https://tool.example")]) == "websocket.accept"
    assert call(HostOriginGuard(_inner, ["*"]), headers=[("host", "anything")]) == 200
    assert host_of("[::1]:80") == "::1" and host_of("Example.ORG:1") == "example.org"


@pytest.mark.parametrize("args, message", [
    (["--allow-origin", "evil.example"], "--allow-origin: 'evil.example' is not an origin"),
    (["--allow-host", "a b"], "--allow-host: 'a b' is not a host name"),
])
def test_bad_allow_flags_are_one_line(args, message, capsys):
    assert cli.main(["app", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


@pytest.mark.slow
def test_real_server_refuses_other_hosts_and_origins():
    proc, port, _ = start_app()
    try:
        evil = _raw(port, b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        assert evil.startswith(b"HTTP/1.1 403"), evil[:200]
        ws = (b"GET /jupyter/api/kernels/abc/channels?session_id=guard-test HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              b"Origin: %s\r\n\r\n")
        bad = _raw(port, ws % (port, b"http://evil.example"))
        assert bad.startswith(b"HTTP/1.1 403"), bad[:200]
        good = _raw(port, ws % (port, b"http://127.0.0.1:%d" % port))
        assert not good.startswith(b"HTTP/1.1 403"), good[:200]
        nul = _raw(port, b"GET /static/%00/etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert nul.startswith(b"HTTP/1.1 400"), nul[:200]
    finally:
        err = stop_app(proc)
    assert "Traceback" not in err, err[-2000:]
