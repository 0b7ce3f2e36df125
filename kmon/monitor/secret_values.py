"""A Secret's ``data`` values as a person reads them: decoded from base64.

Why this module exists: the API carries a Secret's ``data`` values base64-encoded, so
"Reveal values" showing them as they come shows nothing a person can read. Revealed values
are decoded here: UTF-8 text as text (multi-line text, such as a PEM certificate, as a YAML
block), anything else as a size ("<N bytes, binary>"), and a value that is not valid base64
as it came. Masking stays the default (``kmon.monitor.masking``); this runs only for a value
the user asked to see. Qt-free.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import yaml

from kmon.cache.raw_object import RawObject
from kmon.monitor.masking import is_secret
from kmon.monitor.tree_node import unwrap

__all__ = ["BlockText", "decode_value", "decoded_secret"]


class BlockText(str):
    """Text dumped as a YAML literal block (``|``): a certificate stays readable."""


def _block(dumper: yaml.SafeDumper, data: BlockText) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|")


yaml.add_representer(BlockText, _block, Dumper=yaml.SafeDumper)


def decode_value(value: Any) -> Any:
    """One ``data`` value decoded: text, "<N bytes, binary>", or the value as it came when
    it is not base64."""
    if not isinstance(value, str):
        return value
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(raw):,} bytes, binary>"
    if any(c < " " and c not in "\n\r\t" for c in text):
        return f"<{len(raw):,} bytes, binary>"
    # a literal block cannot keep trailing spaces on a line or carriage returns
    if "\n" in text.rstrip("\n") and "\r" not in text and not any(line.endswith(" ") for line in text.split("\n")):
        return BlockText(text)
    return text


def decoded_secret(obj: Any, resource: str | None = None) -> Any:
    """``obj`` with a Secret's ``data`` values decoded (``decode_value``); anything else,
    and a Secret without ``data``, is returned as it is. The input is never modified."""
    obj = unwrap(obj)
    if obj.__class__ is RawObject:  # a cached object: its decoded (read-only) body
        obj = obj.body()
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), dict):
        return obj
    if not (is_secret(obj, resource) or (not obj.get("kind") and (resource or "").partition(".")[0] == "secrets")):
        return obj
    return {**obj, "data": {k: decode_value(v) for k, v in obj["data"].items()}}
