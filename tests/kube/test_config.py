"""Kubeconfig resolution: merging as kubectl does, auth kinds, per-context errors."""

from __future__ import annotations

import base64
import os
import stat
import sys
import textwrap

import pytest
import yaml

from kmon.kube import KubeconfigError, api_client_for, load_kubeconfig
from kmon.kube.config import validate_context

SECRET = "s3cr3t-token-value-xyz"


def write(path, doc):
    path.write_text(yaml.safe_dump(doc) if not isinstance(doc, str) else doc)
    return str(path)


def cfg(clusters=(), users=(), contexts=(), current=None):
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in clusters],
        "users": [{"name": n, "user": u} for n, u in users],
        "contexts": [{"name": n, "context": c} for n, c in contexts],
    }
    if current is not None:
        doc["current-context"] = current
    return doc


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_single_file_current_context_and_namespace(home):
    p = write(
        home / "a.yaml",
        cfg(
            clusters=[("c1", {"server": "https://one.example:6443", "insecure-skip-tls-verify": True})],
            users=[("u1", {"token": SECRET})],
            contexts=[("one", {"cluster": "c1", "user": "u1", "namespace": "team"}), ("two", {"cluster": "c1", "user": "u1"})],
            current="one",
        ),
    )
    kc = load_kubeconfig(p)
    assert kc.files == [p]
    assert kc.current_context == "one"
    one, two = kc.contexts
    assert (one.name, one.cluster, one.user, one.namespace, one.server, one.insecure) == (
        "one", "c1", "u1", "team", "https://one.example:6443", True)
    assert two.namespace == "default"


def test_kubeconfig_env_merges_first_wins(home, monkeypatch):
    a = write(
        home / "a.yaml",
        cfg(
            clusters=[("shared", {"server": "https://from-a:1"})],
            users=[("u", {"token": "ta"})],
            contexts=[("ctx-a", {"cluster": "shared", "user": "u"}), ("dup", {"cluster": "shared", "user": "u", "namespace": "from-a"})],
        ),  # no current-context here
    )
    b = write(
        home / "b.yaml",
        cfg(
            clusters=[("shared", {"server": "https://from-b:2"}), ("only-b", {"server": "http://b:3"})],
            users=[("u", {"token": "tb"})],
            contexts=[("ctx-b", {"cluster": "only-b", "user": "u"}), ("dup", {"cluster": "only-b", "user": "u", "namespace": "from-b"})],
            current="ctx-b",
        ),
    )
    c = write(home / "c.yaml", cfg(contexts=[("ctx-c", {"cluster": "only-b"})], current="ctx-c"))
    missing = str(home / "nope.yaml")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([a, missing, b, c]))
    kc = load_kubeconfig()
    assert kc.files == [a, b, c]
    assert kc.current_context == "ctx-b"  # first file that sets it
    by = {x.name: x for x in kc.contexts}
    assert set(by) == {"ctx-a", "dup", "ctx-b", "ctx-c"}
    assert by["dup"].namespace == "from-a"
    assert by["ctx-a"].server == "https://from-a:1"
    client = api_client_for("ctx-a", kc)
    try:
        assert client.configuration.host == "https://from-a:1"
        assert client.configuration.api_key["BearerToken"] == "Bearer ta"
    finally:
        client.close()


def test_explicit_path_overrides_env(home, monkeypatch):
    a = write(home / "a.yaml", cfg(clusters=[("c", {"server": "http://a:1"})], contexts=[("a", {"cluster": "c"})], current="a"))
    b = write(home / "b.yaml", cfg(clusters=[("c", {"server": "http://b:1"})], contexts=[("b", {"cluster": "c"})], current="b"))
    monkeypatch.setenv("KUBECONFIG", a)
    assert load_kubeconfig(b).current_context == "b"
    assert load_kubeconfig().current_context == "a"


def test_default_home_location(home):
    d = home / "home" / ".kube"
    d.mkdir(parents=True)
    write(d / "config", cfg(clusters=[("c", {"server": "http://h:1"})], contexts=[("h", {"cluster": "c"})], current="h"))
    assert load_kubeconfig().current_context == "h"


def test_token_file_relative_to_defining_file(home):
    sub = home / "sub"
    sub.mkdir()
    (sub / "tok").write_text(SECRET + "\n")
    p = write(
        sub / "kc.yaml",
        cfg(clusters=[("c", {"server": "https://x:1"})], users=[("u", {"tokenFile": "tok"})], contexts=[("x", {"cluster": "c", "user": "u"})], current="x"),
    )
    client = api_client_for(kubeconfig=p)
    try:
        assert client.configuration.api_key["BearerToken"] == f"Bearer {SECRET}"
        assert client.configuration.verify_ssl is True
    finally:
        client.close()


def test_client_cert_and_ca_files_and_data(home):
    for name in ("ca.crt", "client.crt", "client.key"):
        (home / name).write_text("-----BEGIN X-----\nAAAA\n-----END X-----\n")
    p = write(
        home / "kc.yaml",
        cfg(
            clusters=[("files", {"server": "https://f:1", "certificate-authority": "ca.crt"}),
                      ("data", {"server": "https://d:1", "certificate-authority-data": base64.b64encode(b"PEM").decode()})],
            users=[("files", {"client-certificate": "client.crt", "client-key": "client.key"}),
                   ("data", {"client-certificate-data": base64.b64encode(b"C").decode(), "client-key-data": base64.b64encode(b"K").decode()})],
            contexts=[("files", {"cluster": "files", "user": "files"}), ("data", {"cluster": "data", "user": "data"})],
        ),
    )
    c1 = api_client_for("files", p)
    c2 = api_client_for("data", p)
    try:
        assert c1.configuration.ssl_ca_cert == str(home / "ca.crt")
        assert c1.configuration.cert_file == str(home / "client.crt")
        assert c1.configuration.key_file == str(home / "client.key")
        assert c1.configuration.verify_ssl is True
        assert os.path.isfile(c2.configuration.ssl_ca_cert) and os.path.isfile(c2.configuration.key_file)
    finally:
        c1.close()
        c2.close()


def test_insecure_skip_tls_verify(home):
    p = write(home / "kc.yaml", cfg(clusters=[("c", {"server": "https://i:1", "insecure-skip-tls-verify": True})], contexts=[("i", {"cluster": "c"})], current="i"))
    client = api_client_for(kubeconfig=p)
    try:
        assert client.configuration.verify_ssl is False
        assert load_kubeconfig(p).contexts[0].insecure is True
    finally:
        client.close()


def _exec_plugin(path, body: str):
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_exec_plugin_token(home):
    plugin = _exec_plugin(home / "plugin.py", f"""
        import json
        print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                          "status": {{"token": "{SECRET}"}}}}))
    """)
    p = write(home / "kc.yaml", cfg(
        clusters=[("c", {"server": "https://e:1"})],
        users=[("u", {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": plugin}})],
        contexts=[("e", {"cluster": "c", "user": "u"})], current="e"))
    client = api_client_for(kubeconfig=p)
    try:
        assert client.configuration.api_key["BearerToken"] == f"Bearer {SECRET}"
    finally:
        client.close()


def test_exec_plugin_relative_command(home):
    (home / "bin").mkdir()
    _exec_plugin(home / "bin" / "plug", f"""
        import json
        print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                          "status": {{"token": "{SECRET}"}}}}))
    """)
    p = write(home / "kc.yaml", cfg(
        clusters=[("c", {"server": "https://e:1"})],
        users=[("u", {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "./bin/plug"}})],
        contexts=[("e", {"cluster": "c", "user": "u"})], current="e"))
    client = api_client_for(kubeconfig=p)  # ./bin/plug is found beside the kubeconfig, not in the cwd
    try:
        assert client.configuration.api_key["BearerToken"] == f"Bearer {SECRET}"
    finally:
        client.close()


def assert_clean(err: KubeconfigError, *, file=None, entry=None):
    text = str(err)
    assert SECRET not in text and "PRIVATE" not in text
    if file is not None:
        assert err.file == file and file in text
    if entry is not None:
        assert err.entry == entry and entry in text


@pytest.fixture
def broken(home):
    """One config with a good context and a broken one per failure kind."""
    ok_cluster = {"server": "https://ok:1"}
    doc = cfg(
        clusters=[
            ("ok", ok_cluster),
            ("noserver", {}),
            ("missing-ca", {"server": "https://m:1", "certificate-authority": "gone/ca.crt"}),
        ],
        users=[
            ("ok", {"token": SECRET}),
            ("missing-cert", {"client-certificate": "gone/c.crt", "client-key": "gone/c.key", "token": SECRET}),
            ("missing-tokenfile", {"tokenFile": "gone/token"}),
            ("no-plugin", {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "kmon-no-such-plugin",
                                    "env": [{"name": "SECRET", "value": SECRET}], "installHint": "install it from example.com"}}),
            ("failing-plugin", {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "__PLUGIN__"}}),
            ("bad-data", {"client-certificate-data": "***not base64***", "client-key-data": "-----BEGIN PRIVATE KEY-----"}),
        ],
        contexts=[
            ("good", {"cluster": "ok", "user": "ok"}),
            ("no-cluster-entry", {"cluster": "ghost", "user": "ok"}),
            ("no-user-entry", {"cluster": "ok", "user": "ghost"}),
            ("no-server", {"cluster": "noserver", "user": "ok"}),
            ("ca-missing", {"cluster": "missing-ca", "user": "ok"}),
            ("cert-missing", {"cluster": "ok", "user": "missing-cert"}),
            ("tokenfile-missing", {"cluster": "ok", "user": "missing-tokenfile"}),
            ("plugin-missing", {"cluster": "ok", "user": "no-plugin"}),
            ("plugin-fails", {"cluster": "ok", "user": "failing-plugin"}),
            ("data-bad", {"cluster": "ok", "user": "bad-data"}),
        ],
        current="good",
    )
    plugin = _exec_plugin(home / "fail.py", f"""
        import sys
        print("leaked {SECRET}")
        print("error {SECRET}", file=sys.stderr)
        sys.exit(3)
    """)
    doc["users"][4]["user"]["exec"]["command"] = plugin
    return write(home / "broken.yaml", doc)


@pytest.mark.parametrize(
    "context,entry,words",
    [
        ("no-cluster-entry", "clusters/ghost", "not found"),
        ("no-user-entry", "users/ghost", "not found"),
        ("no-server", "clusters/noserver", "no server"),
        ("ca-missing", "clusters/missing-ca", "certificate-authority file does not exist"),
        ("cert-missing", "users/missing-cert", "client-certificate file does not exist"),
        ("tokenfile-missing", "users/missing-tokenfile", "tokenFile file does not exist"),
        ("plugin-missing", "users/no-plugin", "not installed"),
        ("plugin-fails", "users/failing-plugin", "failed"),
        ("data-bad", "users/bad-data", "not valid base64"),
        ("no-such-context", "contexts/no-such-context", "not found"),
    ],
)
def test_broken_context_errors_name_file_and_entry(broken, context, entry, words):
    kc = load_kubeconfig(broken)
    with pytest.raises(KubeconfigError) as ei:
        client = api_client_for(context, kc)
        client.close()
    err = ei.value
    assert words in str(err)
    assert_clean(err, entry=entry)
    assert err.file and broken in err.file
    # the other contexts stay usable
    good = api_client_for("good", kc)
    good.close()
    assert {c.name for c in kc.contexts} >= {"good", context} or context == "no-such-context"


def test_install_hint_in_message(broken):
    with pytest.raises(KubeconfigError, match="install it from example.com"):
        validate_context(load_kubeconfig(broken), "plugin-missing")


def test_missing_explicit_file(home):
    p = str(home / "absent.yaml")
    with pytest.raises(KubeconfigError) as ei:
        load_kubeconfig(p)
    assert ei.value.file == p and "does not exist" in str(ei.value)


def test_no_config_at_all(home):
    with pytest.raises(KubeconfigError, match="no kubeconfig found"):
        load_kubeconfig()


def test_invalid_yaml_names_file_and_line(home):
    p = write(home / "bad.yaml", f"apiVersion: v1\nusers:\n- name: u\n  user: {{token: {SECRET}\n  : [\n")
    with pytest.raises(KubeconfigError) as ei:
        load_kubeconfig(p)
    assert ei.value.file == p and "invalid YAML" in str(ei.value) and "line" in str(ei.value)
    assert SECRET not in str(ei.value)


def test_not_a_mapping_and_bad_lists(home):
    p = write(home / "list.yaml", "- a\n- b\n")
    with pytest.raises(KubeconfigError, match="mapping"):
        load_kubeconfig(p)
    p = write(home / "nameless.yaml", cfg(clusters=[("", {"server": "http://x"})]))
    with pytest.raises(KubeconfigError, match="name") as ei:
        load_kubeconfig(p)
    assert ei.value.entry == "clusters"


def test_no_current_context(home):
    p = write(home / "kc.yaml", cfg(clusters=[("c", {"server": "http://x:1"})], contexts=[("x", {"cluster": "c"})]))
    kc = load_kubeconfig(p)
    assert kc.current_context is None
    with pytest.raises(KubeconfigError, match="current-context"):
        api_client_for(kubeconfig=kc)
    api_client_for("x", kc).close()


def test_failing_plugin_output_not_logged(broken, caplog):
    kc = load_kubeconfig(broken)
    with pytest.raises(KubeconfigError):
        api_client_for("plugin-fails", kc)
    assert SECRET not in caplog.text
