"""Progress of a long command: a tqdm bar with ETA on a terminal, otherwise one line every ~30 s.

Off a terminal (a log file, CI, a pipe) a bar would print nothing useful or fill the log, so the
command prints ``<desc>: n/total <unit>s done, ETA ...`` on stderr every ``every`` seconds instead.
``RECRUITSIM_PROGRESS=1`` forces the bar.
"""

from __future__ import annotations

import math
import os
import sys
import time


class Progress:
    """A tqdm bar with ETA on a terminal; otherwise a line every ``every`` seconds (logs stay readable)."""

    def __init__(self, total: int, done: int = 0, enabled: bool = True, every: float = 30.0, desc: str = "sweep",
                 unit: str = "run"):
        self.total, self.n, self.start_n = total, done, done
        self.desc, self.unit = desc, unit
        self.bar = None
        self.enabled = enabled
        self.every = every
        self.t0 = self.last = time.perf_counter()
        if enabled and (sys.stderr.isatty() or os.environ.get("RECRUITSIM_PROGRESS")):
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                            smoothing=0.1)

    def update(self, k: int = 1) -> None:
        self.n += k
        if self.bar is not None:
            self.bar.update(k)
            return
        now = time.perf_counter()
        if self.enabled and now - self.last >= self.every:
            self.last = now
            rate = (self.n - self.start_n) / max(now - self.t0, 1e-9)
            eta = (self.total - self.n) / rate if rate > 0 else math.inf
            print(f"{self.desc}: {self.n}/{self.total} {self.unit}s done, ETA {duration(eta)}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()



def duration(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else (f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s")


