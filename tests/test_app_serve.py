"""`recruitsim app`: the command it runs, and one-line errors for a bad host or port."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from recruitsim.cli import main as cli
from recruitsim.cli import serve

from .conftest import start_app, stop_app

ROOT = Path(__file__).resolve().parents[1]


def outward_address() -> str | None:
    """This machine's address on its default route (a UDP "connect" sends nothing), or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recruitsim", "app", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_command_binds_localhost_in_production_mode():
    args = cli.build_parser().parse_args(["app"])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 8765, False)
    cmd = serve.command(args.host, args.port)
    assert cmd[cmd.index("run") + 1] == str(serve.app_path()) and serve.app_path() == ROOT / "app.py"
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8765"
    assert "--production" in cmd and "--no-open" in cmd


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "--port must be a whole number in [1, 65,535], got 70,000"),
    (["--port", "http"], "--port must be a whole number in [1, 65,535], got 'http'"),
    (["--host", "no-such-host.invalid"], "--host: cannot resolve 'no-such-host.invalid'"),
    (["--host", "192.0.2.1"], "--host: 192.0.2.1 is not an address of this machine"),
])
def test_bad_host_or_port_is_one_line_and_exit_2(args, message):
    out = run_cli(*args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr


def test_port_in_use_is_reported():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = run_cli("--port", str(port))
    assert out.returncode == 2 and f"port {port} on 127.0.0.1 is already in use" in out.stderr


@pytest.mark.slow
def test_recruitsim_app_serves_the_page():
    proc, port, body = start_app()
    try:
        assert "solara" in body.lower()
        other = outward_address()
        if other is None:
            pytest.skip("this machine has no address besides loopback")
        with pytest.raises(OSError):  # bound to 127.0.0.1 only, not to the machine's other addresses
            urllib.request.urlopen(f"http://{other}:{port}/", timeout=2)
    finally:
        stop_app(proc)
