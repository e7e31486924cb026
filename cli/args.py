"""Argument helpers shared by the subcommands: the usage error, typed flags that name their allowed
range, country and output-folder checks, the run flags, progress and atomic result files."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from recruitsim.model.model import MAX_AGENTS, MIN_SOUND_AGENTS
from recruitsim.scenarios.provenance import dumps


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage + message otherwise)
        raise UsageError(f"{self.prog}: {message}")


# ---- argument types: each names the flag and the allowed range ---------------------------------
def int_in(flag: str, lo: int, hi: int):
    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise UsageError(f"{flag} must be a whole number in [{lo:,}, {hi:,}], got '{text}'") from None
        if not lo <= v <= hi:
            raise UsageError(f"{flag} must be a whole number in [{lo:,}, {hi:,}], got {v:,}")
        return v
    return conv


def float_in(flag: str, lo: float, hi: float):
    def conv(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise UsageError(f"{flag} must be a number in [{lo:g}, {hi:g}], got '{text}'") from None
        if not (lo <= v <= hi) or math.isnan(v):
            raise UsageError(f"{flag} must be a number in [{lo:g}, {hi:g}], got {text}")
        return v
    return conv


def country_arg(text: str) -> str:
    from recruitsim.model.profiles import all_codes, get_profile

    try:
        return get_profile(text).iso3
    except KeyError:
        raise UsageError(f"--country: unknown country '{text}'; use one of {', '.join(all_codes())}") from None


def writable_dir(flag: str):
    def conv(text: str) -> Path:
        p = Path(text)
        try:
            p.mkdir(parents=True, exist_ok=True)
            probe = p / ".recruitsim-write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            raise UsageError(f"{flag}: cannot write to '{text}' ({e.strerror or e})") from None
        return p
    return conv


def add_run_args(p: argparse.ArgumentParser, agents: int = 100_000, years: float = 10) -> None:
    p.add_argument("--country", type=country_arg, default="LAC", help="LAC (regional default) or an ISO3 code")
    p.add_argument("--agents", type=int_in("--agents", 100, MAX_AGENTS), default=agents, help=f"simulated youths (default {agents:,})")
    p.add_argument("--years", type=float_in("--years", 1, 100), default=years, help=f"years after the burn-in (default {years:g})")
    p.add_argument("--burn-in", type=float_in("--burn-in", 0, 100), default=5, help="burn-in years (default 5)")
    p.add_argument("--seed", type=int_in("--seed", 0, 2**62), default=1, help="random seed (default 1)")


def write_results(df, out: Path, stem: str, meta: dict | None = None) -> None:
    """Write a DataFrame as Parquet and CSV atomically (temp file + rename)."""
    items = [("parquet", lambda p: df.to_parquet(p, index=False)), ("csv", lambda p: df.to_csv(p, index=False))]
    if meta is not None:
        items.append(("json", lambda p: p.write_text(dumps(meta, indent=2))))
    for ext, writer in items:
        tmp = out / f".{stem}.{ext}.tmp"
        try:
            writer(tmp)
            os.replace(tmp, out / f"{stem}.{ext}")
        except BaseException:  # e.g. a full disk: leave no partial temporary file
            tmp.unlink(missing_ok=True)
            raise


def quiet(args) -> bool:
    """``--quiet`` (every command), or the older ``--no-progress``."""
    return bool(getattr(args, "quiet", False) or getattr(args, "no_progress", False))


def progress(args, total: int, desc: str, unit: str = "month"):
    """A progress bar on a terminal, a line every ~30 s elsewhere, nothing with ``--quiet``."""
    from recruitsim.scenarios.progress import Progress

    return Progress(total, 0, enabled=not quiet(args), desc=desc, unit=unit)


def add_effects_flag(p: argparse.ArgumentParser) -> None:
    """``--point-effects``: every replicate runs the policy effects' point values (evidence medians) instead
    of effect set r (sets RECRUITSIM_EFFECTS=point for the command and its worker processes)."""
    p.add_argument("--point-effects", action="store_true",
                   help="run policy effects at their point values (evidence medians) instead of drawing effect set r "
                        "for replicate r (same as RECRUITSIM_EFFECTS=point)")


#: the model's smallest sound size (below it cells are too thin for peer ties and cell counts)
SOUND_AGENTS = MIN_SOUND_AGENTS


def small_size_note(agents: int) -> str | None:
    if agents >= SOUND_AGENTS:
        return None
    return (f"recruitsim: warning: {agents:,} agents is below {SOUND_AGENTS:,}; so few youths often give 0 recruits and "
            f"0 homicides (use --agents {SOUND_AGENTS} or more for results)")


def small_size_warning(agents: int) -> None:
    """One line on stderr when the run is too small for sound results (it still runs)."""
    import sys

    note = small_size_note(agents)
    if note:
        print(note, file=sys.stderr)


# ---- Dask scheduler: trust and TLS -----------------------------------------------------------------
SCHEDULER_HELP = ("join an existing Dask cluster (tcp://host:8786, or tls://host:8786 with --tls-*). Dask unpickles "
                  "what the scheduler and workers send, so they can run any code here: only connect to a cluster "
                  "you control, and use tls:// across a network")
SCHEMES = ("tcp", "tls")


def add_tls_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tls-ca-file", default=None, metavar="FILE",
                   help="with --scheduler tls://...: CA certificate that signed the scheduler's certificate")
    p.add_argument("--tls-cert", default=None, metavar="FILE", help="with --scheduler tls://...: this client's certificate")
    p.add_argument("--tls-key", default=None, metavar="FILE",
                   help="with --scheduler tls://...: this client's private key (if not in --tls-cert)")


def scheduler_options(args) -> dict:
    """Validate --scheduler and the --tls-* flags; {} or {"scheduler": ..., "security": {...}}."""
    address = getattr(args, "scheduler", None)
    tls = {k: getattr(args, a, None) for k, a in (("tls_ca_file", "tls_ca_file"), ("tls_client_cert", "tls_cert"),
                                                   ("tls_client_key", "tls_key"))}
    given = {k: v for k, v in tls.items() if v is not None}
    if address is None:
        if given:
            raise UsageError("--tls-ca-file/--tls-cert/--tls-key: only with --scheduler tls://host:port")
        return {}
    address = address.strip()
    if not address:
        raise UsageError("--scheduler: give an address such as tcp://host:8786")
    scheme = address.split("://", 1)[0].lower() if "://" in address else None
    if scheme is not None and scheme not in SCHEMES:
        raise UsageError(f"--scheduler: unsupported protocol '{scheme}://'; use tcp://host:port or tls://host:port")
    rest = address.split("://", 1)[-1]
    if not rest or any(c.isspace() for c in rest):
        raise UsageError(f"--scheduler: '{address}' is not an address such as tcp://host:8786")
    for flag, key in (("--tls-ca-file", "tls_ca_file"), ("--tls-cert", "tls_client_cert"), ("--tls-key", "tls_client_key")):
        v = given.get(key)
        if v is not None and not (os.path.isfile(v) and os.access(v, os.R_OK)):
            raise UsageError(f"{flag}: cannot read '{v}'")
    if given and scheme != "tls":
        raise UsageError("--tls-ca-file/--tls-cert/--tls-key need a tls:// scheduler address (tls://host:8786)")
    if "tls_client_key" in given and "tls_client_cert" not in given:
        raise UsageError("--tls-key needs --tls-cert (the certificate that goes with the key)")
    if scheme == "tls" and "tls_ca_file" not in given:
        import dask.config

        if not dask.config.get("distributed.comm.tls.ca-file", None):
            raise UsageError("--scheduler tls://...: give --tls-ca-file (and --tls-cert/--tls-key if the cluster "
                             "checks clients), or set distributed.comm.tls.* in the Dask configuration")
    out: dict = {"scheduler": address}
    if given:
        out["security"] = given
    return out
