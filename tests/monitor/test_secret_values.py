"""Revealed Secret values are decoded from base64 (text, a block, or a size for binary)."""

from __future__ import annotations

import base64

import yaml

from kmon.monitor.secret_values import BlockText, decode_value, decoded_secret


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_values_decode_to_text_blocks_or_sizes():
    assert decode_value(b64(b"hunter2")) == "hunter2"
    pem = "-----BEGIN X-----\nabc\n-----END X-----\n"
    assert isinstance(decode_value(b64(pem.encode())), BlockText)
    assert decode_value(b64(b"\x00\x01\xff" * 10)) == "<30 bytes, binary>"
    assert decode_value(b64(b"a\x00b")) == "<3 bytes, binary>"  # valid UTF-8, still not text
    assert decode_value("not base64!") == "not base64!"  # shown as it came
    assert decode_value(None) is None
    assert yaml.safe_dump({"k": decode_value(b64(pem.encode()))}).startswith("k: |\n  -----BEGIN X-----\n")


def test_only_secrets_data_is_decoded_and_the_input_is_kept():
    secret = {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s"}, "data": {"a": b64(b"x")}}
    out = decoded_secret(secret)
    assert out["data"] == {"a": "x"} and secret["data"] == {"a": "eA=="}
    cm = {"kind": "ConfigMap", "apiVersion": "v1", "data": {"a": b64(b"x")}}
    assert decoded_secret(cm) is cm
    item = {"metadata": {"name": "s"}, "data": {"a": b64(b"x")}}  # a list item: no kind
    assert decoded_secret(item, "secrets")["data"] == {"a": "x"}
    assert decoded_secret(item, "configmaps") is item
