"""Host and Origin checks for the app's server (DNS rebinding, cross-site WebSocket), as ASGI middleware.

The app runs simulations for whoever reaches it, so ``recruitsim app`` (``cli/serve.py``) tells the
server which names it may be reached by: ``RECRUITSIM_APP_HOSTS`` (comma-separated host names or
addresses, no ports; ``*`` = any) and ``RECRUITSIM_APP_ORIGINS`` (extra ``scheme://host[:port]``
origins allowed to open the WebSocket; ``*`` = any). A request whose ``Host`` header names another
host gets 403 (a page of ``evil.example`` that resolves to 127.0.0.1 cannot talk to the app); a
WebSocket whose ``Origin`` is not ``http(s)://<allowed host>[:port]`` or a listed origin is refused
before it is accepted; a path with a NUL character gets 400 (instead of a server error). Requests
without an ``Origin`` (not from a browser page) pass the Origin check, never the Host check.

``install()`` is called by ``app.py``: when Solara's Starlette app is running and the variables are set,
it wraps the app's middleware stack once (the server has built it by the time the page script runs).
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

HOSTS_ENV = "RECRUITSIM_APP_HOSTS"
ORIGINS_ENV = "RECRUITSIM_APP_ORIGINS"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _split(text: str | None) -> list[str]:
    return [x.strip().lower() for x in (text or "").split(",") if x.strip()]


def host_of(value: str) -> str:
    """The host part of a Host header (``name``, ``name:port``, ``[v6]:port``), lower case."""
    v = value.strip().lower()
    if v.startswith("["):
        return v[1:v.find("]")] if "]" in v else v
    if v.count(":") == 1:
        return v.split(":", 1)[0]
    return v


class HostOriginGuard:
    """ASGI middleware: refuse requests for other hosts and WebSockets from other origins."""

    def __init__(self, app, hosts: list[str], origins: list[str] | None = None):
        self.app = app
        self.any_host = "*" in hosts
        self.hosts = {host_of(h) for h in hosts if h != "*"}
        self.any_origin = "*" in (origins or [])
        self.origins = {o.rstrip("/") for o in (origins or []) if o != "*"}

    def host_ok(self, host: str | None) -> bool:
        return self.any_host or (host is not None and host_of(host) in self.hosts)

    def origin_ok(self, origin: str | None) -> bool:
        if origin is None or self.any_origin:
            return True
        origin = origin.strip().lower().rstrip("/")
        if origin in self.origins:
            return True
        try:
            parts = urlsplit(origin)
            hostname = parts.hostname
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and hostname is not None and hostname in self.hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {}
        for k, v in scope.get("headers") or []:
            headers.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
        path = scope.get("path", "")
        if "\x00" in path or b"%00" in (scope.get("raw_path") or b"").lower():
            return await self._refuse(scope, receive, send, 400, "bad path")
        if not self.host_ok(headers.get("host")):
            return await self._refuse(scope, receive, send, 403, "host not allowed (use recruitsim app --allow-host)")
        if not self.origin_ok(headers.get("origin")):
            return await self._refuse(scope, receive, send, 403, "origin not allowed (use recruitsim app --allow-origin)")
        return await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope, receive, send, status: int, text: str):
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # before accept: the server answers 403
            return
        body = f"{status} {text}\n".encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def install() -> bool:
    """Wrap the running Solara server's app once, if ``recruitsim app`` set the allowed hosts. True if installed."""
    hosts = _split(os.environ.get(HOSTS_ENV))
    mod = sys.modules.get("solara.server.starlette")
    app = getattr(mod, "app", None)
    if not hosts or app is None:
        return False
    if getattr(app, "_recruitsim_guard", False):
        return True
    origins = _split(os.environ.get(ORIGINS_ENV))
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    app.middleware_stack = HostOriginGuard(app.middleware_stack, hosts, origins)
    app._recruitsim_guard = True
    return True
