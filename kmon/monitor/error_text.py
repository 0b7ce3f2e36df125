"""What a person is told about an exception from connecting, discovering or listing.

Why this module exists: the same failure reaches people from several places (a session that
cannot connect, a resource that cannot start, an informer that died, ``kmon record`` asking
the server's version, a verify that failed), and should read the same everywhere: short,
naming the server, saying what kmon was doing, and never holding a credential
(``redact_text`` is applied to every message).
"""

from __future__ import annotations

from kmon.cache.errors import ApiStatusError, is_connection_refused
from kmon.kube.config import KubeconfigError
from kmon.monitor.masking import redact_text

__all__ = ["describe_error"]


def describe_error(err: BaseException, *, server: str = "", what: str = "") -> str:
    """A short, credential-free explanation of ``err`` for people."""
    where = f" {server}" if server else ""
    if isinstance(err, KubeconfigError):
        text = f"kubeconfig: {err}"
    elif isinstance(err, ApiStatusError):
        if err.code == 401:
            text = f"unauthorized (401): the server{where} rejected the credentials"
        elif err.code == 403:
            text = f"forbidden (403){': ' + what if what else ''}: {err.message or err.reason}"
        else:
            text = f"{what + ': ' if what else ''}{err}"
    elif is_connection_refused(err):
        text = f"cannot connect to{where or ' the server'}: connection refused"
    elif isinstance(err, TimeoutError):
        text = f"no answer from{where or ' the server'} (timed out): {err}"
    elif isinstance(err, OSError):
        name, msg = type(err).__name__.lower(), str(err)
        if msg.lower().startswith(("tls", "ssl")) or (server and server in msg):
            text = msg  # the transport layer already said what and where
        elif "ssl" in name or "tls" in name or "certificate" in msg.lower():
            text = f"TLS failure talking to{where or ' the server'}: {msg}"
        else:
            text = f"cannot reach{where or ' the server'}: {msg}"
    elif isinstance(err, LookupError):
        text = str(err)
    else:
        text = f"{type(err).__name__}: {err}"
    return redact_text(text)
