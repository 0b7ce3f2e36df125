"""The command-line flags that choose what kmon watches, declared once for ``kmon`` (the desktop
app) and for the headless commands, and the one function that turns them into
``SessionOptions``.

Why this module exists: ``kmon``, ``kmon watch``, ``kmon stats`` and ``kmon record`` take the
same kubectl-spelled flags (``--kubeconfig``, ``--context``, ``-n``/``-A``, ``-l``,
``--metadata-only``, ``--demo``) and must read them the same way. The two front ends differ
only where their meaning does: the app names resources with ``--resources LIST`` (else each
context's saved choice) and reopens the last context, the headless commands take
``RESOURCE...`` (default: pods) like ``kubectl get`` and a ``--field-selector``. Both take
``--client-go VERSION``: which client-go minor's informer path to run (``KUBE_FEATURE_*``
variables apply on top); a version kmon cannot behave as is a usage error (exit 2), said by
argparse. Nothing else here checks the values (``kmon.monitor.preflight`` does: the app shows
problems in its window, the headless commands exit with them).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any, Iterable

from kmon.cache.features import LATEST, OLDEST, FeatureGates
from kmon.monitor.session_options import SessionOptions

__all__ = [
    "HEADLESS_DEFAULT_RESOURCES",
    "add_session_arguments",
    "client_go_version",
    "session_options_from_args",
    "split_resources",
]

# what a headless command watches when no RESOURCE is named (kubectl get needs one; pods is
# what people mean)
HEADLESS_DEFAULT_RESOURCES: tuple[str, ...] = ("pods",)


def split_resources(values: Iterable[str]) -> tuple[str, ...]:
    """Resource names as typed, comma lists split as kubectl does (``pods,deploy svc``), blanks
    dropped, each name once, in the order first given."""
    out: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if name and name not in out:
                out.append(name)
    return tuple(out)


class _ResourceNames(argparse.Action):
    """Stores the names of ``--resources LIST`` or ``RESOURCE...`` as ``split_resources``
    reads them."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        given = [values] if isinstance(values, str) else list(values or ())
        setattr(namespace, self.dest, split_resources(given))


def client_go_version(text: str) -> str:
    """``--client-go``'s value as kmon spells a profile ("v1.32.4" -> "1.32"); an
    ``ArgumentTypeError`` (argparse's usage error, exit 2) saying what is accepted otherwise."""
    try:
        return FeatureGates.for_client_go(text).profile
    except ValueError as e:
        oldest = "%d.%d" % OLDEST
        why = str(e) if oldest in str(e) else f"{e}; kmon runs as any minor from {oldest} on"
        raise argparse.ArgumentTypeError(why) from None


def add_session_arguments(p: argparse.ArgumentParser, *, gui: bool) -> None:
    """Declare the flags choosing what to watch on ``p``: for the desktop app (``gui``) or a
    headless command. Every one lands in ``session_options_from_args``."""
    if not gui:
        p.add_argument(
            "resources", nargs="*", metavar="RESOURCE", action=_ResourceNames, default=HEADLESS_DEFAULT_RESOURCES,
            help="resources to watch, as for kubectl get (pods, deploy, svc...; default: "
                 f"{', '.join(HEADLESS_DEFAULT_RESOURCES)})",
        )
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    p.add_argument(
        "--context", metavar="NAME",
        help="kubeconfig context to open (default: the last one, else the current one)" if gui
        else "kubeconfig context (default: the current one)",
    )
    ns = p.add_mutually_exclusive_group()
    ns.add_argument("-n", "--namespace", metavar="NS", help="watch only this namespace")
    ns.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace (the default)")
    p.add_argument("-l", "--selector", metavar="SELECTOR", help="label selector for every informer (e.g. app=web,tier!=db)")
    if gui:
        p.add_argument("--resources", metavar="LIST", action=_ResourceNames, default=(),
                       help="comma-separated resources to watch (e.g. pods,deploy,svc)")
        p.set_defaults(field_selector=None)
    else:
        p.add_argument("--field-selector", metavar="SELECTOR", help="field selector (e.g. status.phase=Running)")
    p.add_argument("--metadata-only", action="store_true", help="cache object metadata only (PartialObjectMetadata)")
    latest = "%d.%d" % LATEST
    p.add_argument(
        "--client-go", metavar="VERSION", type=client_go_version,
        help="run the informer path of this client-go minor (1.28 and later: 1.32 = DeltaFIFO, LIST then "
             "WATCH; 1.33 = in-order RealFIFO; 1.35 adds batches and WatchList; 1.36 atomic relists); "
             "KUBE_FEATURE_<Gate>=true|false variables apply on top, as in client-go (default: "
             + ("each context's saved choice, else " if gui else "") + f"{latest}, what a current controller runs)",
    )
    p.add_argument(
        "--demo", action="store_true",
        help="open the embedded demo cluster (two churning contexts)" if gui
        else "run against the embedded demo cluster (kmon-demo)",
    )


def session_options_from_args(args: argparse.Namespace, base: SessionOptions | None = None) -> SessionOptions:
    """``base`` (default ``SessionOptions()``) with what the flags of ``add_session_arguments``
    say; ``resources`` only when some are named."""
    base = base if base is not None else SessionOptions()
    return replace(
        base,
        kubeconfig=args.kubeconfig,
        context=args.context,
        demo=args.demo,
        namespace=None if args.all_namespaces else args.namespace,
        label_selector=args.selector,
        field_selector=args.field_selector,
        metadata_only=args.metadata_only,
        resources=args.resources or base.resources,
        client_go=args.client_go or base.client_go,
    )
