"""What every output records about how it was made, and JSON that never holds NaN.

``versions()`` gives the recruitsim version and the versions of the libraries that decide results
(numpy, scipy, pandas, mesa, pyarrow) and Python; runs, sweeps, ``compare`` and calibrations write it
next to their results. ``dumps`` writes strict JSON: NaN and infinities become ``null``.
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
    return out


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
