"""``kmon record``: capture what the informers saw into a recording file.

Why this module exists: incidents are looked at later and elsewhere. ``Recorder`` runs a
session and writes everything its feed delivers (initial lists as deltas, every later delta,
reflector and session event) with ``kmon.monitor.recording_writer.RecordingWriter``: a header
(format, versions, context, server and its /version, the client-go path its informers run,
resources, selection, start time), the records, a footer on a clean stop. A writer thread drains the feed every 0.2 s; the file is
synced at least once a second, so a crash loses at most the last second. Secret values are
masked unless ``include_secret_values``.

In-process use (tests, tools)::

    rec = Recorder("out.kmonrec", SessionOptions(resources=["pods"], kubeconfig=path)).start()
    rec.live.wait_synced(10)
    ...
    summary = rec.stop()        # informers joined, feed drained, footer written
    rec.session.resources["pods"].informer.indexer   # the live cache at the stop
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any, Sequence

from kmon.headless.common import (
    EXIT_ERROR,
    EXIT_OK,
    HeadlessError,
    Live,
    options_from_args,
    run_main,
    signals_stop,
)
from kmon.monitor.session_args import HEADLESS_DEFAULT_RESOURCES, add_session_arguments
from kmon.monitor.session_options import SessionOptions

__all__ = ["Recorder", "header_selection", "main", "parser"]


def header_selection(options: SessionOptions) -> dict[str, Any]:
    """What a recording's header says was selected (docs/recording-format.md): the context
    as asked (None: the current one) and the names as typed; never the kubeconfig path (it
    is local to the machine that recorded)."""
    return {
        "context": options.context,
        "namespace": options.namespace,
        "label_selector": options.label_selector,
        "field_selector": options.field_selector,
        "metadata_only": options.metadata_only,
        "demo": options.demo,
        "all_namespaces": options.namespace is None,
        "requested": list(options.resources),
        "client_go": options.client_go,
    }


class Recorder:
    """Records one session into ``path`` (see the module doc). ``start`` raises
    ``HeadlessError`` when the context or a resource cannot be used (no file is written
    then); ``stop`` finalises the file and returns a summary. ``error`` is set if writing
    failed (disk full...); ``failed`` is then set too, so a caller waiting on it wakes up."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        options: SessionOptions | None = None,
        *,
        include_secret_values: bool = False,
        drain_interval: float = 0.2,
        compresslevel: int = 3,
        stop: threading.Event | None = None,
        demo_churn: float = 20.0,
    ) -> None:
        self.path = os.fspath(path)
        self.options = options or SessionOptions(resources=HEADLESS_DEFAULT_RESOURCES)
        self.include_secret_values = include_secret_values
        self.drain_interval = drain_interval
        self.compresslevel = compresslevel
        self.live = Live(self.options, stop=stop, demo_churn=demo_churn, command="kmon record")
        self.writer: Any = None
        self.error: str | None = None
        self.failed = threading.Event()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._write_lock = threading.Lock()  # guards: writer (the thread and stop both write)
        self.started = time.time()

    @property
    def session(self) -> Any:
        return self.live.session

    def start(self) -> "Recorder":
        from kmon.monitor.recording_format import make_header
        from kmon.monitor.recording_writer import RecordingWriter

        self.started = time.time()
        try:
            if not self.live.open():
                raise HeadlessError("stopped before the session was ready")
            version, why = self.live.server_version()
            ctx: dict[str, Any] = {"name": self.live.context, "server": self.live.server, "server_version": version}
            if why:
                ctx["server_version_error"] = why
            ctx.update(self._path())
            header = make_header(
                contexts=[ctx],
                resources=sorted(self.session.resources),
                selection=header_selection(self.options),
                secret_values="included" if self.include_secret_values else "masked",
                started=self.started,
            )
            try:
                self.writer = RecordingWriter(self.path, header, compresslevel=self.compresslevel)
            except OSError as e:
                raise HeadlessError(f"cannot write {self.path}: {e.strerror or e}") from None
        except BaseException:
            self.live.close()
            raise
        self._thread = threading.Thread(target=self._run, name="kmon-recorder", daemon=True)
        self._thread.start()
        return self

    def _path(self) -> dict[str, Any]:
        """The header's word on the client-go path the informers run (format 1.1)."""
        from kmon.monitor.recording_format import context_path

        stats = self.session.stats()
        features = next((st.features for st in stats.values() if st.features is not None),
                        self.session.options.informer.features)
        return context_path(features, {res: st.queue for res, st in stats.items() if st.queue})

    def _drain_and_write(self) -> int:
        with self._write_lock:
            n = self.writer.write_items(self.live.feed.drain())
            self.writer.flush_if_due()
            return n

    def _run(self) -> None:
        try:
            while not self._halt.wait(self.drain_interval):
                self._drain_and_write()
        except Exception as e:  # the disk, not the cluster: stop recording, say why
            self.error = f"writing {self.path} failed: {e}"
            self.failed.set()
            self.live.stop.set()

    def stop(self, reason: str = "stopped") -> dict[str, Any]:
        """Stop the informers (joined), write what is left, the footer, and close the file."""
        self.live.close()
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
        summary: dict[str, Any] = {"path": self.path, "records": 0, "bytes": 0, "error": self.error}
        if self.writer is None:
            return summary
        with self._write_lock:
            if not self.writer.closed:
                try:
                    if self.error is None:
                        self.writer.write_items(self.live.feed.drain())
                    self.writer.close(reason if self.error is None else "error")
                except Exception as e:
                    self.error = self.error or f"writing {self.path} failed: {e}"
                    self.writer.abort()
        summary.update(records=self.writer.records_written, bytes=os.path.getsize(self.path), error=self.error)
        return summary

    def __enter__(self) -> "Recorder":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kmon record",
        description=(
            "Record everything the informers see (initial lists, deltas with objects, reflector and "
            "session events) into a gzip JSON Lines file for `kmon replay`. Ctrl+C stops and finalises."
        ),
        epilog="Format: docs/recording-format.md. Exit status: 0 recorded, 1 error, 2 usage.",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="recording file to write (overwritten)")
    add_session_arguments(p, gui=False)
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument(
        "--include-secret-values", action="store_true",
        help="keep Secret data in the recording (masked by default; the file then holds credentials)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress messages on stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(list(argv) if argv is not None else None)
    if args.duration is not None and args.duration <= 0:
        parser().error("--duration must be > 0")
    return run_main("record", lambda: _record(args))


def _record(args: argparse.Namespace) -> int:
    options = options_from_args(args, "kmon record")
    stop = threading.Event()
    rec = Recorder(args.output, options, include_secret_values=args.include_secret_values, stop=stop)
    say = (lambda msg: None) if args.quiet else (lambda msg: print(f"kmon record: {msg}", file=sys.stderr, flush=True))
    with signals_stop(stop):
        try:
            rec.start()
        except HeadlessError:
            if stop.is_set():  # Ctrl+C while connecting: nothing recorded, nothing wrong
                return EXIT_OK
            raise
        reason = "stopped"
        try:
            say(f"recording {', '.join(sorted(rec.session.resources))} of context {rec.live.context} to {rec.path} (Ctrl+C to stop)")
            deadline = time.monotonic() + args.duration if args.duration else None
            while not stop.wait(0.2):
                if deadline is not None and time.monotonic() >= deadline:
                    reason = "duration"
                    break
        finally:
            summary = rec.stop(reason)
    if summary["error"]:
        print(f"kmon record: {summary['error']}", file=sys.stderr)
        return EXIT_ERROR
    say(f"{summary['records']} records, {summary['bytes']} bytes written to {rec.path}")
    return EXIT_OK
