"""What every output records about how it was made, and JSON that never holds NaN.

``versions()`` gives the recruitsim version and the versions of the libraries that decide results
(numpy, scipy, pandas, mesa, pyarrow), Python, and numpy's SIMD level (``numpy_simd``: the CPU extensions
numpy dispatches to on this machine, e.g. ``X86_V3`` for AVX2 or ``X86_V3+X86_V4+AVX512_ICL`` for AVX-512);
runs, sweeps, ``compare`` and calibrations write it next to their results. The SIMD level is there because
numpy's vectorised maths can round differently at different levels, so a seed gives bit-identical results only
on machines at the same level (measured: the regression baseline's 20,000-agent LAC run gives 1,522,304
recruits with AVX2 and 1,459,313 with AVX-512; statistically the same model, not the same numbers). A sweep
refuses to resume on a machine at another level, as for a library version change. ``dumps`` writes strict JSON: NaN and infinities become ``null``.
"""

from __future__ import annotations

import json
import math
import platform
from functools import cache
from importlib import metadata
from typing import Any

LIBRARIES = ("numpy", "scipy", "pandas", "mesa", "pyarrow")


@cache
def versions() -> dict[str, str]:
    from recruitsim import __version__

    out = {"recruitsim": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    out["numpy_simd"] = simd_level()
    return out


def _dispatch() -> tuple[list[str], dict[str, bool]] | None:
    """numpy's dispatchable CPU levels (lowest first) and which of them it uses here, or None if unknown."""
    try:
        from numpy._core import _multiarray_umath as umath
        return list(umath.__cpu_dispatch__), dict(umath.__cpu_features__)
    except (ImportError, AttributeError):  # a numpy without these attributes: say so rather than guess
        return None


def simd_level() -> str:
    """The CPU extensions numpy dispatches to here (after ``NPY_DISABLE_CPU_FEATURES``), joined by ``+``."""
    d = _dispatch()
    if d is None:
        return "unknown"
    levels, on = d
    return "+".join(f for f in levels if on.get(f)) or "baseline"


def simd_pin(level: str) -> str | None:
    """The ``NPY_DISABLE_CPU_FEATURES`` value that runs numpy at ``level`` (the levels above it disabled),
    or None if this CPU or numpy lacks ``level``. Set it in a child process's environment."""
    d = _dispatch()
    if d is None or level not in d[0] or not d[1].get(level):
        return None
    return " ".join(d[0][d[0].index(level) + 1:])


def clean(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (recursively; numpy scalars become Python ones)."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalar
        try:
            obj = obj.item()
        except (TypeError, ValueError):
            return obj
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """Strict JSON (no NaN/Infinity tokens): non-finite numbers are written as null."""
    return json.dumps(clean(obj), allow_nan=False, **kwargs)
