"""``kmon watch`` and ``kmon record`` say what happens to the ``secrets`` resource in words
("secrets: watching", "secrets: 403 Forbidden"), never "secrets: ••••••", and still mask
Secret values (kmon issue 10, point 3)."""

from __future__ import annotations

import pytest

from kmon.monitor.masking import MASK
from kmon.monitor.recording_reader import read_recording

from .conftest import KmonProcess, run_kmon

pytestmark = pytest.mark.timeout(90)


def _has(p: KmonProcess, needle: bytes):
    return lambda: any(needle in line for line in p.lines)


def test_watch_table_says_secrets_status_in_words(sim, workload, kubeconfig):
    sim.faults.forbid("secrets")
    p = KmonProcess("watch", "--kubeconfig", kubeconfig, "secrets")
    try:
        p.wait_until(_has(p, b"Forbidden"), 20, "the 403 on secrets")
        sim.faults.allow("secrets")
        p.wait_until(_has(p, b"recovered"), 20, "secrets recovered")
        rc = p.stop()
    finally:
        p.kill()
    assert rc == 0, p.stderr
    text = b"".join(p.lines).decode()
    assert "secrets: watching" in text and "secrets: 403 Forbidden" in text, text
    # (recovered when its list or, on client-go 1.36's WatchList, its watch came through)
    assert "secrets: recovered, " in text and f"secrets: {MASK}" not in text, text


def test_record_keeps_secrets_messages_and_masks_values(sim, workload, kubeconfig, tmp_path):
    path = tmp_path / "s.kmonrec"
    out = run_kmon("record", "-o", str(path), "--kubeconfig", kubeconfig, "--duration", "1.5", "secrets")
    assert out.returncode == 0, out.stderr
    recs = list(read_recording(path))
    messages = [r["message"] for r in recs if r["kind"] == "session"]
    assert "secrets: watching" in messages, messages
    assert not any(m.startswith(f"secrets: {MASK}") for m in messages), messages
    values = [v for r in recs if r["kind"] == "delta" for v in (r["object"].get("data") or {}).values()]
    assert values and set(values) == {MASK}
