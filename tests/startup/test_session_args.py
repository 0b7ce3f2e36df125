"""The selection flags are declared once (kmon.monitor.session_args) for the desktop app and the
headless commands, and read into SessionOptions by one function."""

from __future__ import annotations

import pytest

from kmon.app_cli import parser as gui_parser
from kmon.headless import record, stats, watch
from kmon.monitor.session_args import session_options_from_args, split_resources
from kmon.monitor.session_options import DEFAULT_RESOURCES, SessionOptions

SHARED = ["--kubeconfig", "--context", "--namespace", "--all-namespaces", "--selector", "--metadata-only", "--demo",
          "--client-go"]
HEADLESS = [watch.parser, stats.parser, record.parser]


def _flags(p):
    return {s for a in p._actions for s in a.option_strings}


def test_every_front_end_declares_the_shared_flags_the_same_way():
    gui = gui_parser()
    for make in HEADLESS:
        p = make()
        assert set(SHARED) <= _flags(p) and "--field-selector" in _flags(p) and "--resources" not in _flags(p)
    assert set(SHARED) <= _flags(gui) and "--resources" in _flags(gui) and "--field-selector" not in _flags(gui)
    text = " ".join(gui.format_help().split())
    assert "kubeconfig context to open (default: the last one, else the current one)" in text
    assert "open the embedded demo cluster (two churning contexts)" in text
    text = " ".join(watch.parser().format_help().split())
    assert "RESOURCE" in text and "default: pods" in text and "run against the embedded demo cluster (kmon-demo)" in text


def test_split_resources_reads_names_as_kubectl_does():
    assert split_resources(["pods, deploy", "svc", "pods", ",,"]) == ("pods", "deploy", "svc")
    assert split_resources([]) == ()


def test_headless_flags_become_options():
    args = watch.parser().parse_args(["pods,deploy", "svc", "--kubeconfig", "kc", "--context", "c", "-n", "shop",
                                      "-l", "app=web", "--field-selector", "status.phase=Running", "--metadata-only"])
    assert session_options_from_args(args) == SessionOptions(
        kubeconfig="kc", context="c", namespace="shop", label_selector="app=web",
        field_selector="status.phase=Running", metadata_only=True, resources=("pods", "deploy", "svc"))
    opts = session_options_from_args(stats.parser().parse_args(["-A", "--demo"]))
    assert opts.resources == ("pods",) and opts.namespace is None and opts.demo


def test_gui_flags_become_options_and_resources_only_when_named():
    opts = session_options_from_args(gui_parser().parse_args(["--resources", "pods,svc", "-n", "x", "-l", "a=b"]))
    assert (opts.resources, opts.namespace, opts.label_selector, opts.field_selector) == (("pods", "svc"), "x", "a=b", None)
    args = gui_parser().parse_args([])
    assert args.resources == () and session_options_from_args(args).resources == DEFAULT_RESOURCES
    base = SessionOptions(resources=("nodes",), watch_inactivity_timeout=5.0)
    opts = session_options_from_args(args, base)
    assert opts.resources == ("nodes",) and opts.watch_inactivity_timeout == 5.0


def test_namespace_and_all_namespaces_exclude_each_other(capsys):
    for p in (gui_parser(), watch.parser()):
        with pytest.raises(SystemExit):
            p.parse_args(["-n", "x", "-A"])
        assert "not allowed with argument" in capsys.readouterr().err


def test_client_go_is_read_the_same_way_by_every_front_end(capsys):
    for make in [gui_parser, *HEADLESS]:
        args = make().parse_args((["-o", "x.kmonrec"] if make is record.parser else []) + ["--client-go", "v1.32.4"])
        assert session_options_from_args(args).client_go == "1.32"  # kmon's spelling of a profile
        args = make().parse_args(["-o", "x.kmonrec"] if make is record.parser else [])
        assert session_options_from_args(args).client_go is None  # the latest: what a current controller runs
    assert session_options_from_args(watch.parser().parse_args(["--client-go", "1.40"])).client_go == "1.40"
    base = SessionOptions(client_go="1.33")
    assert session_options_from_args(gui_parser().parse_args([]), base).client_go == "1.33"


@pytest.mark.parametrize("value, said", [
    ("1.27", "client-go 1.27 is older than kmon can behave as (1.28 and later)"),
    ("latest", "not a client-go version: 'latest' (expected e.g. 1.32); kmon runs as any minor from 1.28 on"),
])
def test_a_client_go_version_kmon_cannot_run_is_a_usage_error(value, said, capsys):
    for make in [gui_parser, *HEADLESS]:
        with pytest.raises(SystemExit) as e:
            make().parse_args(["--client-go", value])
        assert e.value.code == 2
        assert f"argument --client-go: {said}" in capsys.readouterr().err
