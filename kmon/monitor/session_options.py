"""What a session watches, where and how: one frozen ``SessionOptions`` for GUI and headless.

Why this module exists: the desktop app, the headless commands and ``Monitor`` all open
sessions, from the same command-line flags (``kmon.monitor.session_args``). One frozen value
carries the whole choice (kubeconfig and context, namespace, selectors, metadata-only, the
resources, the informers' ``InformerOptions``, the liveness settings) from the flags to every
``ContextSession``; ``dataclasses.replace`` derives a variant (another resource list, a reloaded
kubeconfig). ``resolve_options`` fills in what the environment supplies (the inactivity timeout,
and the informers' client-go feature gates: ``client_go``'s defaults overridden by
``KUBE_FEATURE_<Gate>`` as client-go reads them), says what makes the options unusable before
anything connects and what the environment asked that client-go would ignore. Qt-free and cheap
to import (no Kubernetes client).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple

from kmon import env
from kmon.cache.features import FeatureGates
from kmon.cache.options import InformerOptions
from kmon.selectors import selector_problems

if TYPE_CHECKING:
    from kmon.kube.liveness import HealthCheck

__all__ = [
    "DEFAULT_RESOURCES",
    "Resolved",
    "SessionOptions",
    "inactivity_timeout_from_env",
    "informer_features",
    "resolve_options",
]

DEFAULT_RESOURCES: tuple[str, ...] = (
    "pods",
    "deployments.apps",
    "replicasets.apps",
    "services",
    "configmaps",
    "nodes",
    "namespaces",
    "events",
)


@dataclass(frozen=True)
class SessionOptions:
    """What a session watches, where and how (the command line's choice, passed down whole).

    ``kubeconfig``: a path, a list of paths or a loaded ``KubeConfig`` (None: kubectl's
    files); ``context``: the context to open when none is named (None: the current one);
    ``demo``: run against the embedded demo cluster (the front end starts it and opens its
    contexts). ``namespace``/``label_selector``/``field_selector``/``metadata_only``: what
    each informer asks for ("" is None). ``resources``: what a session starts with, as
    kubectl spells them. ``informer``: how each informer runs (its name is set per resource).
    ``watch_inactivity_timeout``: seconds without a byte before a list, or a watch past its
    own deadline, is given up as dead (None: ``$KMON_WATCH_INACTIVITY_TIMEOUT``, else 90 s);
    ``health_check``: of idle watches (``kmon.kube.liveness.HealthCheck``; None: client-go's
    ``$HTTP2_*`` variables). ``client_go``: the client-go minor whose informer path to run
    ("1.32"; None: the latest kmon knows), the ``KUBE_FEATURE_*`` variables applying on top
    (``informer_features``); an ``informer.features`` already set wins over both.
    """

    kubeconfig: Any = None
    context: str | None = None
    demo: bool = False
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    metadata_only: bool = False
    resources: tuple[str, ...] = DEFAULT_RESOURCES
    informer: InformerOptions = field(default_factory=InformerOptions)
    watch_inactivity_timeout: float | None = None
    health_check: HealthCheck | None = None
    client_go: str | None = None

    def __post_init__(self) -> None:
        # (frozen: normalised in place once, so every reader sees one spelling)
        for name in ("context", "namespace", "label_selector", "field_selector", "client_go"):
            object.__setattr__(self, name, getattr(self, name) or None)
        object.__setattr__(self, "metadata_only", bool(self.metadata_only))
        object.__setattr__(self, "demo", bool(self.demo))
        if isinstance(self.resources, str):
            raise TypeError("resources must be a list of names, not one string")
        object.__setattr__(self, "resources", tuple(self.resources))


def inactivity_timeout_from_env() -> float:
    """Seconds without a byte from the server after which a list, or a watch past its own
    deadline, is given up as dead (``kmon.kube.liveness``): ``$KMON_WATCH_INACTIVITY_TIMEOUT``
    if set, else 90 s. Raises ``kmon.env.EnvError`` (naming the variable) for a bad value."""
    return env.WATCH_INACTIVITY_TIMEOUT.read()


def informer_features(client_go: str | None = None,
                      environ: Mapping[str, str] | None = None) -> tuple[FeatureGates, list[str]]:
    """The gates an informer runs with: ``FeatureGates.from_env(environ, client_go)`` (the
    defaults of that client-go minor, the latest when None, overridden by ``KUBE_FEATURE_*``),
    and one sentence per variable client-go would ignore (not a boolean, or a gate that
    version locks): the caller says them where the user looks (stderr, the GUI's error
    area), not only in the log. Raises ``ValueError`` for a version kmon cannot behave as."""
    return FeatureGates.read_env(environ, client_go)


class Resolved(NamedTuple):
    """``resolve_options``' answer."""

    options: SessionOptions
    problems: list[str]  # what makes the options unusable (nothing connects)
    warnings: list[str]  # said, then run anyway (a KUBE_FEATURE_* value client-go ignores)


def resolve_options(options: SessionOptions) -> Resolved:
    """``options`` with what the environment gives when they set none: the inactivity
    timeout, and the informers' feature gates (``informer_features(options.client_go)``);
    what makes them unusable, one message each: a selector the server would reject (in its
    words), an unusable environment variable (naming it), a client-go version kmon cannot
    behave as; and the ``KUBE_FEATURE_*`` values client-go would ignore."""
    problems = selector_problems(options.label_selector, options.field_selector)
    warnings: list[str] = []
    timeout = options.watch_inactivity_timeout
    if timeout is None:
        try:
            timeout = inactivity_timeout_from_env()
        except env.EnvError as e:
            problems.append(str(e))
            timeout = env.WATCH_INACTIVITY_TIMEOUT.default
    if options.health_check is None:  # (read from the environment by each ListerWatcher)
        problems.extend(env.problems(variables=(env.HTTP2_READ_IDLE_TIMEOUT, env.HTTP2_PING_TIMEOUT)))
    informer = options.informer
    if informer.features is None:
        try:
            gates, warnings = informer_features(options.client_go)
            informer = replace(informer, features=gates)
        except ValueError as e:
            problems.append(f"--client-go: {e}")
    return Resolved(replace(options, watch_inactivity_timeout=timeout, informer=informer), problems, warnings)
