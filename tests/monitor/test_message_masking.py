"""Status messages about the ``secrets`` resource stay readable everywhere kmon writes them
(journal rows, JSONL/CSV exports, recordings), while credentials in messages and Secret
values stay masked (kmon issue 10, point 3)."""

from __future__ import annotations

import csv

import orjson
import pytest

from kmon.monitor.feed import Feed, SessionItem
from kmon.monitor.journal import export_csv, export_jsonl, row_from_item
from kmon.monitor.masking import MASK, redact_text
from kmon.monitor.recording_format import make_header
from kmon.monitor.recording_reader import read_recording
from kmon.monitor.recording_writer import RecordingWriter
from kmon.monitor.session import ContextSession

from waiting import wait_for

from .helpers import delta

pytestmark = pytest.mark.timeout(60)

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
SECRET_B64 = "aHVudGVyMg=="


def _secret_delta():
    sec = {"apiVersion": "v1", "kind": "Secret", "data": {"password": SECRET_B64},
           "metadata": {"name": "db-pass", "namespace": "shop", "resourceVersion": "4"}}
    return delta("Added", "db-pass", "shop", "4", obj=sec, res="secrets")


@pytest.mark.parametrize("text", [
    "secrets: watching",
    "secrets: watching in namespace default",
    "secrets: 403 Forbidden",
    "secrets: recovered, listed 3 objects",
    "secrets: stopped",
    "kmon-demo/secrets: listed 6 items",
    "secrets.v1: watching",
    "sealedsecrets.bitnami.com: watching",
    "secretName: db-creds",
    '"secrets": [{"name": "builder-dockercfg"}]',
])
def test_resource_names_and_statuses_are_never_masked(text):
    assert redact_text(text) == text


@pytest.mark.parametrize("text,value", [
    ("secret: hunter2", "hunter2"),
    ("client-secret=s3cr3t", "s3cr3t"),
    ('{"client_secret": "s3cr3t"}', "s3cr3t"),
    ("aws_secret_access_key=AKIAxyz", "AKIAxyz"),
    ("secret_key: abc123", "abc123"),
    ("secrets: 401 Unauthorized: Authorization: Bearer abc.def-123", "abc.def-123"),
    (f"secrets: watch failed: token={TOKEN}", TOKEN),
])
def test_credentials_next_to_a_resource_name_are_still_masked(text, value):
    out = redact_text(text)
    assert value not in out and MASK in out
    assert redact_text(out) == out  # applied again (every sink redacts): nothing changes


def _secrets_session_items(sim, kubeconfig) -> list:
    """The session items of a real session whose "secrets" resource is forbidden (403),
    then allowed again, plus one carrying a token and a Secret's delta."""
    sim.store.create("namespaces", {"metadata": {"name": "default"}})
    sim.store.create("secrets", {"metadata": {"name": "db-pass", "namespace": "default"}, "data": {"password": SECRET_B64}},
                     "default")
    sim.faults.forbid("secrets")
    feed = Feed()
    got: list = []
    with ContextSession("good", kubeconfig=kubeconfig, feed=feed, resources=["secrets"]) as s:
        wait_for(lambda: got.extend(feed.drain()) or any(
            isinstance(i, SessionItem) and i.resource == "secrets" and i.level == "error" for i in got), 15,
            "the 403 on secrets")
        sim.faults.allow("secrets")
        wait_for(lambda: got.extend(feed.drain()) or s.resources["secrets"].has_synced(), 15, "secrets synced")
        wait_for(lambda: got.extend(feed.drain()) or any(
            isinstance(i, SessionItem) and i.state == "ready" for i in got if i.resource), 15, "recovered")
    got.extend(feed.drain())
    got.append(SessionItem("good", "secrets", "error", f"secrets: 401 Unauthorized: Authorization: Bearer {TOKEN}", "failed"))
    got.append(_secret_delta())
    return got


def _check(text: str) -> None:
    assert "secrets: watching" in text, text
    assert "secrets: 403 Forbidden" in text, text
    assert "secrets: recovered" in text, text
    assert "secrets: " + MASK not in text, text
    assert TOKEN not in text and SECRET_B64 not in text, text
    assert f"Bearer {MASK}" in text


def test_journal_exports_and_recordings_keep_secrets_status_messages(sim, kubeconfig, tmp_path):
    items = _secrets_session_items(sim, kubeconfig)
    rows = [row_from_item(i) for i in items]
    _check("\n".join(r.detail for r in rows))
    pj, pc = tmp_path / "log.jsonl", tmp_path / "log.csv"
    export_jsonl(rows, pj)
    export_csv(rows, pc)
    _check("\n".join(orjson.loads(line)["detail"] for line in pj.read_bytes().splitlines()))
    with open(pc, newline="", encoding="utf-8") as fh:
        _check("\n".join(r["detail"] for r in csv.DictReader(fh)))
    path = tmp_path / "rec.kmonrec"
    with RecordingWriter(path, make_header(contexts=[{"name": "good"}], resources=["secrets"])) as w:
        w.write_items(items)
    recs = list(read_recording(path))
    _check("\n".join(r["message"] for r in recs if r["kind"] == "session"))
    sec = next(r for r in recs if r["kind"] == "delta" and r["resource"] == "secrets")
    assert sec["object"]["data"] == {"password": MASK}
