"""``recruitsim app``: serve the interactive app (``app.py``) with Solara.

Binds 127.0.0.1 unless ``--host`` says otherwise (the app runs simulations for whoever can reach it,
so exposing it on a network is an explicit choice). The server answers only requests addressed to
the bound address or this machine's names (``Host`` header; a DNS-rebinding page gets 403) and opens
WebSockets only for pages of those hosts (``Origin``); ``--allow-host`` / ``--allow-origin`` add
others (``app_logic/hostguard.py``). Runs ``solara run <app.py> --production``, which
serves the page's JavaScript and CSS from the locally installed ``solara-assets`` (works offline).
"""

from __future__ import annotations

import errno
import importlib.util
import os
import socket
import sys
from pathlib import Path

from .args import UsageError, int_in

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def app_path() -> Path:
    """``app.py``: the module ``recruitsim.app`` (installed or editable), else the repository root above ``cli/``."""
    spec = importlib.util.find_spec("recruitsim.app")
    if spec is not None and spec.origin and Path(spec.origin).name == "app.py":
        return Path(spec.origin)
    here = Path(__file__).resolve().parent.parent / "app.py"
    if here.exists():
        return here
    raise UsageError("cannot find app.py (is recruitsim installed? try: pip install -e .)")


def check_host(host: str) -> str:
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        raise UsageError(f"--host: cannot resolve '{host}'; use an address such as 127.0.0.1 or 0.0.0.0") from None
    return host


def check_port_free(host: str, port: int) -> None:
    """Fail early, in one line, if the port is taken or not ours to bind (instead of a server traceback)."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except PermissionError:
            raise UsageError(f"--port: not allowed to use port {port} (ports below 1024 need administrator rights); "
                             f"try --port {DEFAULT_PORT}") from None
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise UsageError(f"--port: port {port} on {host} is already in use (is the app already running? open "
                                 f"http://{host}:{port}/), or choose another with --port") from None
            if e.errno == errno.EADDRNOTAVAIL:
                raise UsageError(f"--host: {host} is not an address of this machine") from None
            raise UsageError(f"--port: cannot listen on {host}:{port} ({e.strerror})") from None


def command(host: str, port: int, open_browser: bool = False) -> list[str]:
    solara = Path(sys.executable).with_name("solara")
    runner = [str(solara)] if solara.exists() else [sys.executable, "-m", "solara"]
    return [*runner, "run", str(app_path()), "--host", host, "--port", str(port), "--production",
            "--open" if open_browser else "--no-open"]


def allowed_hosts(host: str, extra: list[str] | None = None) -> list[str]:
    """Host names the server answers to: the bound address and this machine's loopback names; for a
    wildcard bind (0.0.0.0, ::) also this machine's host name and addresses."""
    out = [host, "127.0.0.1", "localhost", "::1"]
    if host in ("0.0.0.0", "::", ""):
        name = socket.gethostname()
        out += [name, socket.getfqdn()]
        try:
            out += [ai[4][0] for ai in socket.getaddrinfo(name, None)]
        except (socket.gaierror, UnicodeError):
            pass
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect(("192.0.2.1", 9))  # no packet is sent: finds the outward address
                out.append(s.getsockname()[0])
        except OSError:
            pass
    out += list(extra or [])
    return list(dict.fromkeys(h.strip().lower() for h in out if h and h.strip()))


def check_allow(flag: str, values: list[str] | None) -> list[str]:
    out = []
    for v in values or []:
        for item in v.split(","):
            item = item.strip()
            if not item:
                continue
            if any(c.isspace() for c in item) or (flag == "--allow-origin" and item != "*" and "://" not in item):
                raise UsageError(f"{flag}: '{item}' is not "
                                 f"{'a host name' if flag == '--allow-host' else 'an origin such as https://example.org'}")
            out.append(item)
    return out


def cmd_app(args) -> int:
    from recruitsim.app_logic.hostguard import HOSTS_ENV, ORIGINS_ENV

    host = check_host(args.host)
    hosts = allowed_hosts(host, check_allow("--allow-host", args.allow_host))
    origins = check_allow("--allow-origin", args.allow_origin)
    check_port_free(host, args.port)
    cmd = command(host, args.port, args.open)
    shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "localhost") else host)
    print(f"recruitsim app: open http://{shown}:{args.port}/ in a browser (Ctrl+C stops the server)", file=sys.stderr)
    env = {**os.environ, "SOLARA_APP": str(app_path()), HOSTS_ENV: ",".join(hosts), ORIGINS_ENV: ",".join(origins)}
    sys.stderr.flush()
    os.chdir(app_path().parent)
    try:  # become the server (no child process left behind when this one is stopped or killed)
        os.execve(cmd[0], cmd, env)
    except OSError:
        raise UsageError("cannot start Solara; reinstall with: pip install -e .") from None


def register(sub) -> None:
    p = sub.add_parser("app", help="serve the interactive app in the browser (http://127.0.0.1:8765)",
                       description="Serve the interactive app: pick a country, switch policies on, run, compare with "
                                   "the baseline, download the results.")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}: this computer only; 0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int_in("--port", 1, 65535), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--allow-host", action="append", default=None, metavar="NAME",
                   help="also answer requests for this host name (e.g. behind a proxy; repeatable; '*' = any). "
                        "By default only the bound address and this machine's names")
    p.add_argument("--allow-origin", action="append", default=None, metavar="ORIGIN",
                   help="also accept WebSockets from pages of this origin (e.g. https://example.org; repeatable; '*' = any)")
    p.set_defaults(func=cmd_app)
