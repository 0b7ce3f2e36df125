"""The environment variables kmon reads, each defined and checked in one place.

Why this module exists: a mistyped setting (``KMON_WATCH_INACTIVITY_TIMEOUT=abc``) that is
silently ignored leaves the user believing kmon runs as configured. Every numeric variable is
a ``Var`` here; ``Var.read()`` raises ``EnvError`` naming the variable, the value and what
was expected, and ``problems()`` checks them all at once, so the headless commands exit with
the message and the GUI shows it before anything connects. Qt-free; imports nothing from
kmon.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

__all__ = [
    "GC_REFREEZE",
    "GC_THRESHOLDS",
    "HTTP2_PING_TIMEOUT",
    "HTTP2_READ_IDLE_TIMEOUT",
    "VARS",
    "WATCH_INACTIVITY_TIMEOUT",
    "EnvError",
    "Var",
    "problems",
]


class EnvError(ValueError):
    """An environment variable kmon reads holds a value it cannot use."""


def seconds_at_least(minimum: float) -> tuple[Callable[[str], Any], str]:
    def parse(raw: str) -> float:
        value = float(raw)  # ValueError for anything but a number
        if not minimum <= value < float("inf"):  # also NaN
            raise ValueError(raw)
        return value

    return parse, f"a number of seconds >= {minimum:g}"


def integers(count: int) -> tuple[Callable[[str], Any], str]:
    def parse(raw: str) -> tuple[int, ...]:
        values = tuple(int(p) for p in raw.split(","))
        if len(values) != count or min(values) < 0:
            raise ValueError(raw)
        return values

    return parse, f"{count} non-negative integers separated by commas"


@dataclass(frozen=True)
class Var:
    """One environment variable: its name, default (when unset or empty) and parser."""

    name: str
    default: Any
    rule: tuple[Callable[[str], Any], str]  # (parse raising ValueError, what is expected)

    def read(self, environ: Mapping[str, str] | None = None) -> Any:
        """The value, or ``default`` when unset or empty; ``EnvError`` when unusable."""
        raw = (os.environ if environ is None else environ).get(self.name, "")
        if not raw.strip():
            return self.default
        parse, expected = self.rule
        try:
            return parse(raw.strip())
        except ValueError:
            raise EnvError(f"environment variable {self.name}={raw!r} is not {expected}") from None

    def read_or_default(self, environ: Mapping[str, str] | None = None) -> Any:
        """``read()``, or ``default`` when unusable: for readers that run at import time
        (the problem is shown at start, through ``problems()``)."""
        try:
            return self.read(environ)
        except EnvError:
            return self.default


# seconds without a byte after which a list (or a watch's response headers), or a watch past
# its own deadline (timeoutSeconds), is given up as dead: the last resort (kmon.kube.liveness)
WATCH_INACTIVITY_TIMEOUT = Var("KMON_WATCH_INACTIVITY_TIMEOUT", 90.0, seconds_at_least(1.5))
# client-go's own variables for its HTTP/2 connection health check (k8s.io/apimachinery
# pkg/util/net/http.go), read by kmon for its port of that check (kmon.kube.liveness): seconds
# without a byte before the server is asked whether it is alive (0 turns the check off, as
# in client-go), and how long it has to answer (0: the default, as golang.org/x/net/http2).
# client-go takes whole seconds; kmon also takes fractions.
HTTP2_READ_IDLE_TIMEOUT = Var("HTTP2_READ_IDLE_TIMEOUT_SECONDS", 30.0, seconds_at_least(0))
HTTP2_PING_TIMEOUT = Var("HTTP2_PING_TIMEOUT_SECONDS", 15.0, seconds_at_least(0))
# the GUI's collector thresholds and re-freeze period (kmon.ui.app)
GC_THRESHOLDS = Var("KMON_GC_THRESHOLDS", (3000, 3, 10), integers(3))
GC_REFREEZE = Var("KMON_GC_REFREEZE", 3.0, seconds_at_least(0.1))
VARS = (WATCH_INACTIVITY_TIMEOUT, HTTP2_READ_IDLE_TIMEOUT, HTTP2_PING_TIMEOUT, GC_THRESHOLDS, GC_REFREEZE)


def problems(environ: Mapping[str, str] | None = None, *, variables: Iterable[Var] = VARS) -> list[str]:
    """One message per variable of ``variables`` (all of ``VARS``) set to an unusable value."""
    out: list[str] = []
    for var in variables:
        try:
            var.read(environ)
        except EnvError as e:
            out.append(str(e))
    return out
