"""What every headless command shares: the selection flags (``kmon.monitor.session_args``)
checked into a ``SessionOptions``, starting a session (or the demo cluster) with clear
one-line errors, clean stops on SIGINT/SIGTERM, and quiet exits on a closed pipe.

Why this module exists: ``watch``, ``stats`` and ``record`` differ only in what they do with
the feed. Getting the edges right once (a broken kubeconfig is a sentence, not a traceback;
Ctrl+C joins the informer threads and exits 0; ``| head`` ends quietly) keeps the commands
short.

Exit statuses: 0 done (including a stop by signal and a reader that closed the pipe), 1 the
command could not do its job (kubeconfig, connection, unknown resource...), 2 usage error
(argparse), 3 ``kmon replay``: the recording is damaged (printed up to the damage).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from typing import Any, Callable, Sequence

from kmon.monitor.preflight import preflight_problems
from kmon.monitor.session_args import session_options_from_args
from kmon.monitor.session_options import SessionOptions, informer_features

__all__ = [
    "HeadlessError",
    "Live",
    "options_from_args",
    "quiet_broken_pipe",
    "run_main",
    "signals_stop",
    "write_stdout",
]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DAMAGED = 0, 1, 2, 3
_STUCK: list[threading.Thread] = []  # informer threads that outlived Live.close's timeout


class HeadlessError(Exception):
    """A problem the user can fix, said in one line (no traceback)."""


def options_from_args(args: argparse.Namespace, command: str = "kmon") -> SessionOptions:
    """The options of ``session_args.add_session_arguments``, checked before anything connects:
    ``HeadlessError`` for a selector the API server would reject (in its words) or a bad
    environment variable. The informers' feature gates are resolved here (``--client-go``'s
    defaults and the ``KUBE_FEATURE_*`` variables): a variable client-go would ignore is said
    on stderr ("kmon stats: warning: ...") and the command runs with the default, as a
    controller would."""
    options = session_options_from_args(args)
    problems = preflight_problems(options.label_selector, options.field_selector)
    if problems:
        raise HeadlessError("\n".join(problems))
    try:
        gates, warnings = informer_features(options.client_go)
    except ValueError as e:
        raise HeadlessError(f"--client-go: {e}") from None
    for text in warnings:
        print(f"{command}: warning: {text}", file=sys.stderr)
    return replace(options, informer=replace(options.informer, features=gates))


class Live:
    """One running ``ContextSession`` (and the demo cluster behind it with ``--demo``).

    ``open`` starts everything and waits until discovery is done and the resources are
    started, raising ``HeadlessError`` with a one-line reason when the context or a resource
    cannot be used; it returns False if ``stop`` was set meanwhile. ``close`` stops the
    session (joining the informer threads) and the demo cluster.
    """

    def __init__(
        self,
        options: SessionOptions,
        *,
        feed: Any = None,
        stop: threading.Event | None = None,
        demo_churn: float = 20.0,
        command: str = "kmon",
    ) -> None:
        from kmon.monitor.feed import Feed

        self.command = command  # names the notes on stderr ("kmon watch: ...")
        self.options = options
        self.feed = feed if feed is not None else Feed()
        self.stop = stop if stop is not None else threading.Event()
        self.demo_churn = demo_churn
        self.demo: Any = None
        self.session: Any = None
        self.context = ""

    def open(self) -> bool:
        opts = self.options
        kubeconfig = opts.kubeconfig
        context = opts.context
        if opts.demo:
            from kmon.sim.demo import DemoCluster

            self.demo = DemoCluster(churn=self.demo_churn)
            kubeconfig = self.demo.kubeconfig_path
            context = context or "kmon-demo"
        from kmon.kube.config import KubeconfigError, load_kubeconfig

        try:
            cfg = load_kubeconfig(kubeconfig)
            self.context = cfg.context(context).name
        except KubeconfigError as e:
            raise HeadlessError(f"kubeconfig: {e}") from None
        from kmon.monitor.session import ContextSession, SessionState

        self.session = ContextSession(self.context, replace(opts, kubeconfig=cfg), feed=self.feed)
        self.session.start()
        while not self.session.wait_ready(0.1):
            if self.session.state == SessionState.FAILED:
                raise HeadlessError(f"context {self.context}: {self.session.error}")
            if self.stop.is_set():
                return False
        _report_unknown(self.command, self.session)
        failed = self.session.failed_resources
        if failed:
            name, why = next(iter(failed.items()))
            why = why if why.startswith(name) else f"{name}: {why}"
            raise HeadlessError(why)
        if not self.session.resources and self.session.unknown_resources:
            raise HeadlessError("")  # every name was unknown: kubectl's words are said
        return True

    @property
    def server(self) -> str:
        return self.session.server if self.session is not None else ""

    def server_version(self) -> tuple[dict[str, Any] | None, str | None]:
        """GET /version through the session's client: (version info, None) or (None, why)."""
        from kmon.monitor.error_text import describe_error

        try:
            from kmon.kube._http import get_json

            v = get_json(self.session.api_client, "/version", read_timeout=10.0)
            return (v if isinstance(v, dict) else None), None
        except Exception as e:
            return None, describe_error(e, server=self.server)

    def wait_synced(self, timeout: float) -> bool:
        """Until every resource synced and has its watch open (so a snapshot then is a
        coherent one), ``timeout`` passed, ``stop`` was set or a resource that has not synced
        failed for good (it never will)."""
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            if self.session.wait_synced(min(0.1, max(0.0, deadline - time.monotonic()))):
                if all(st.watches_started or st.state != "watching" for st in self.session.stats().values()):
                    return True
                self.stop.wait(0.01)  # synced; a watch request is on its way
            failed = self.failed()
            if time.monotonic() >= deadline or any(
                    not h.has_synced() for name, h in self.session.resources.items() if name in failed):
                return False
        return False

    def failed(self) -> dict[str, str]:
        """{resource: why} of the resources whose informer failed for good (a 400 on list:
        the server rejects the request itself, so it is not retried)."""
        out = {}
        for name, h in self.session.resources.items():
            try:
                st = h.informer.stats()
            except Exception:
                continue
            if st.state == "failed":
                out[name] = h.error or st.last_error or "failed"
        return out

    def all_failed(self) -> str | None:
        """Why, when every resource failed for good (nothing left to watch); else None."""
        failed = self.failed()
        if not failed or len(failed) < len(self.session.resources):
            return None
        return "; ".join(why if why.startswith(name) else f"{name}: {why}" for name, why in failed.items())

    def close(self, timeout: float = 5.0) -> bool:
        """Stop the session, joining its informer threads (within ``timeout``), and the demo
        cluster; False if some thread did not end (the command's exit then does not wait
        for it)."""
        ok = True
        if self.session is not None:
            ok = self.session.stop(timeout)
            if not ok:
                _STUCK.extend(
                    h.thread for h in self.session.resources.values() if h.thread is not None and h.thread.is_alive()
                )
        if self.demo is not None:
            self.demo.stop()
        return ok

    def __enter__(self) -> "Live":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _report_unknown(command: str, session: Any) -> None:
    """kubectl's line for each name the server does not serve (``error: the server doesn't
    have a resource type "nosuchthing"``) on stderr, then what kmon goes on with."""
    unknown = session.unknown_resources
    if not unknown:
        return
    for name, err in unknown.items():
        print(f"error: {err}", file=sys.stderr)
        if err.hint:
            print(f"{command}: {name}: {err.hint}", file=sys.stderr)
    running = sorted(session.resources)
    if running:
        print(f"{command}: continuing with {', '.join(running)}", file=sys.stderr)


class signals_stop:
    """Within the block, SIGINT and SIGTERM set ``event`` (the command then stops cleanly)
    instead of raising ``KeyboardInterrupt``/killing the process. A second signal while
    stopping exits at once (status 130)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self._old: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            os._exit(130)
        self.event.set()

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self.event

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def write_stdout(data: bytes) -> None:
    """Write all of ``data`` to stdout's file descriptor.

    Not ``sys.stdout.buffer.write``: on CPython 3.11 a signal (our Ctrl+C) arriving while a
    large write is blocked on a full pipe makes ``BufferedWriter`` drop the rest of the data
    (a record cut in the middle). ``os.write`` reports partial writes and we finish them.
    Raises ``BrokenPipeError`` when the reader went away."""
    fd = sys.stdout.fileno()
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def quiet_broken_pipe() -> None:
    """The reader went away (``| head``): send further output to /dev/null so the
    interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _finish(code: int) -> int:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_broken_pipe()
    except (OSError, ValueError):
        pass
    if any(t.is_alive() for t in _STUCK):  # an informer thread did not end in time: do not hang the terminal
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)
    return code


def run_main(command: str, body: Callable[[], int]) -> int:
    """Run a command body, turning the expected failures into one line on stderr and an
    exit status (see the module doc). Set KMON_DEBUG=1 to see tracebacks of the unexpected."""
    try:
        code = body()
    except HeadlessError as e:
        if str(e):  # empty: already said
            print(f"kmon {command}: {e}", file=sys.stderr)
        code = EXIT_ERROR
    except BrokenPipeError:
        quiet_broken_pipe()
        code = EXIT_OK
    except KeyboardInterrupt:  # before the handlers were installed
        code = EXIT_OK
    except Exception as e:
        if os.environ.get("KMON_DEBUG"):
            raise
        from kmon.monitor.masking import redact_text

        print(f"kmon {command}: unexpected error: {type(e).__name__}: {redact_text(str(e))}", file=sys.stderr)
        code = EXIT_ERROR
    return _finish(code)


def parse(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    return p.parse_args(list(argv) if argv is not None else None)
