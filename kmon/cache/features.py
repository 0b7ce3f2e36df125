"""client-go's informer feature gates: which queue and which initial sync an informer runs.

A controller built with client-go picks its informer path through five gates, whose defaults
depend on the client-go minor it was built with and which the process may override with
``KUBE_FEATURE_<Gate>=true|false`` environment variables (client-go's ``features`` package reads
them once, parses them as Go's ``strconv.ParseBool`` does, and refuses to change a gate its
version locks). kmon runs the path the user's controller runs, so it reads the same variables
the same way and can be told which client-go minor to behave as (``for_client_go``).

Every ``FeatureGates`` also says where each value came from (``source``): the latest client-go's
default, a chosen client-go version's default ("profile"), or the environment.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field, fields
from typing import Mapping

__all__ = ["GATES", "LATEST", "OLDEST", "FeatureGates", "parse_go_bool"]

log = logging.getLogger(__name__)

OLDEST = (1, 28)  # the oldest client-go minor kmon can behave as
LATEST = (1, 36)  # the newest one whose defaults kmon knows; later minors behave as it

# gate name as client-go spells it -> (field, minor that introduced it, minor from which it is
# on by default or None, minor from which it is locked to its default or None)
GATES: dict[str, tuple[str, tuple[int, int], tuple[int, int] | None, tuple[int, int] | None]] = {
    "InOrderInformers": ("in_order_informers", (1, 33), (1, 33), (1, 36)),
    "InOrderInformersBatchProcess": ("in_order_informers_batch_process", (1, 35), (1, 35), None),
    "AtomicFIFO": ("atomic_fifo", (1, 36), (1, 36), None),
    "UnlockWhileProcessingFIFO": ("unlock_while_processing_fifo", (1, 36), (1, 36), None),
    "WatchListClient": ("watch_list_client", (1, 30), (1, 35), None),
}

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_go_bool(text: str) -> bool:
    """Go's ``strconv.ParseBool``: exactly these spellings, anything else is a ValueError."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"invalid syntax: {text!r}")


def _minor(version: str) -> tuple[int, int]:
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version.strip()) if isinstance(version, str) else None
    if m is None:
        raise ValueError(f"not a client-go version: {version!r} (expected e.g. 1.32)")
    minor = (int(m.group(1)), int(m.group(2)))
    if minor < OLDEST:
        raise ValueError(f"client-go {version} is older than kmon can behave as (1.28 and later)")
    return minor


@dataclass(frozen=True)
class FeatureGates:
    in_order_informers: bool = True
    in_order_informers_batch_process: bool = True
    atomic_fifo: bool = True
    unlock_while_processing_fifo: bool = True
    watch_list_client: bool = True
    # the client-go minor whose defaults these are ("" for the latest kmon knows)
    profile: str = field(default="", compare=False)
    # (gate, where its value came from: "default", "profile" or "environment"), in GATES order
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def for_client_go(cls, version: str) -> "FeatureGates":
        """The defaults of that client-go minor ("1.32", "v1.35", "1.36.2"; 1.28 and later)."""
        minor = _minor(version)
        values = {f: on is not None and minor >= on for f, _, on, _ in GATES.values()}
        label = f"{minor[0]}.{minor[1]}"
        return cls(**values, profile=label, sources=tuple((g, "profile") for g in GATES))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, version: str | None = None) -> "FeatureGates":
        """The defaults of ``for_client_go(version)`` (the latest when None) overridden by
        ``KUBE_FEATURE_<Gate>`` as client-go reads them: a value Go's ParseBool rejects, or one
        that would change a gate the version locks, is logged as a warning naming the variable
        and the default stays; a gate that version does not have yet is not read."""
        gates, ignored = cls.read_env(environ, version)
        for message in ignored:
            log.warning("%s", message)
        return gates

    @classmethod
    def read_env(cls, environ: Mapping[str, str] | None = None,
                 version: str | None = None) -> tuple["FeatureGates", list[str]]:
        """``from_env``'s gates, and one sentence per variable client-go would ignore (named),
        for a caller that tells the user where they look instead of only logging."""
        env = os.environ if environ is None else environ
        base = cls.for_client_go(version) if version is not None else cls(sources=tuple((g, "default") for g in GATES))
        minor = _minor(version) if version is not None else LATEST
        values = {f.name: getattr(base, f.name) for f in fields(cls) if f.name not in ("profile", "sources")}
        sources = dict(base.sources)
        ignored: list[str] = []
        for gate, (name, since, _on, locked) in GATES.items():
            var = f"KUBE_FEATURE_{gate}"
            if var not in env or minor < since:
                continue
            raw = env[var]
            try:
                wanted = parse_go_bool(raw)
            except ValueError:
                ignored.append(f"{var}={raw!r} is not a boolean (true/false, 1/0, t/f); "
                               f"{gate} stays {str(values[name]).lower()}")
                continue
            if locked is not None and minor >= locked and wanted != values[name]:
                ignored.append(f"{var}={raw} ignored: {gate} is locked to {str(values[name]).lower()} "
                               f"in client-go {minor[0]}.{minor[1]}")
                continue
            values[name] = wanted
            sources[gate] = "environment"
        return cls(**values, profile=base.profile, sources=tuple((g, sources[g]) for g in GATES)), ignored

    def enabled(self, gate: str) -> bool:
        """A gate's value by client-go's name ("AtomicFIFO")."""
        return getattr(self, GATES[gate][0])

    def source(self, gate: str) -> str:
        """Where a gate's value came from: "default", "profile" or "environment"."""
        return dict(self.sources).get(gate, "default")

    def describe(self) -> str:
        """One line: "InOrderInformers=true AtomicFIFO=false(env) ..."."""
        marks = {"environment": "(env)", "profile": "", "default": ""}
        return " ".join(f"{g}={str(self.enabled(g)).lower()}{marks[self.source(g)]}" for g in GATES)
