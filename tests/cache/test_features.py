"""client-go's informer feature gates as kmon reads them (kmon.cache.features): each minor's
defaults, KUBE_FEATURE_<Gate> parsed as Go's ParseBool, locked gates, and where values came from."""

from __future__ import annotations

import logging

import pytest

from kmon.cache.features import FeatureGates, parse_go_bool

ALL_OFF = dict(in_order_informers=False, in_order_informers_batch_process=False, atomic_fifo=False,
               unlock_while_processing_fifo=False, watch_list_client=False)


def test_the_default_is_what_a_current_controller_runs():
    assert FeatureGates() == FeatureGates(True, True, True, True, True)
    assert FeatureGates.from_env({}) == FeatureGates()
    assert FeatureGates.from_env({}).source("AtomicFIFO") == "default"


@pytest.mark.parametrize("version, on", [
    ("1.28", set()), ("1.30", set()), ("1.32", set()),
    ("1.33", {"in_order_informers"}), ("v1.34", {"in_order_informers"}),
    ("1.35", {"in_order_informers", "in_order_informers_batch_process", "watch_list_client"}),
    ("1.36", set(ALL_OFF)), ("1.36.2", set(ALL_OFF)), ("1.40", set(ALL_OFF)),
])
def test_each_minor_has_its_defaults(version, on):
    g = FeatureGates.for_client_go(version)
    assert g == FeatureGates(**{k: k in on for k in ALL_OFF})
    assert g.profile == version.lstrip("v")[:4] and g.source("WatchListClient") == "profile"


@pytest.mark.parametrize("version", ["1.27", "0.36", "1", "one.two", "", "1.36-rc"])
def test_an_older_or_malformed_version_is_refused(version):
    with pytest.raises(ValueError):
        FeatureGates.for_client_go(version)


def test_go_parse_bool_spellings():
    for s in ("1", "t", "T", "TRUE", "true", "True"):
        assert parse_go_bool(s) is True
    for s in ("0", "f", "F", "FALSE", "false", "False"):
        assert parse_go_bool(s) is False
    for s in ("yes", "on", "tRUE", " true", ""):
        with pytest.raises(ValueError):
            parse_go_bool(s)


def test_the_environment_overrides_a_default_and_says_so():
    g = FeatureGates.from_env({"KUBE_FEATURE_WatchListClient": "false", "KUBE_FEATURE_AtomicFIFO": "0"})
    assert g.watch_list_client is False and g.atomic_fifo is False and g.in_order_informers is True
    assert g.source("WatchListClient") == "environment" and g.source("InOrderInformers") == "default"
    assert "WatchListClient=false(env)" in g.describe()
    assert g.enabled("AtomicFIFO") is False


def test_a_bad_value_is_a_warning_naming_the_variable_and_the_default_stays(caplog):
    with caplog.at_level(logging.WARNING, logger="kmon.cache.features"):
        g = FeatureGates.from_env({"KUBE_FEATURE_WatchListClient": "yes"})
    assert g.watch_list_client is True and g.source("WatchListClient") == "default"
    assert "KUBE_FEATURE_WatchListClient" in caplog.text


def test_a_locked_gate_cannot_be_turned_off_from_1_36(caplog):
    with caplog.at_level(logging.WARNING, logger="kmon.cache.features"):
        g = FeatureGates.from_env({"KUBE_FEATURE_InOrderInformers": "false"})
    assert g.in_order_informers is True and "KUBE_FEATURE_InOrderInformers" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kmon.cache.features"):
        same = FeatureGates.from_env({"KUBE_FEATURE_InOrderInformers": "true"})
    assert same.in_order_informers is True and caplog.text == ""
    # before 1.36 it is an ordinary gate
    old = FeatureGates.from_env({"KUBE_FEATURE_InOrderInformers": "false"}, version="1.35")
    assert old.in_order_informers is False and old.in_order_informers_batch_process is True


def test_a_version_does_not_read_gates_it_does_not_have():
    g = FeatureGates.from_env({"KUBE_FEATURE_AtomicFIFO": "true", "KUBE_FEATURE_WatchListClient": "true"}, version="1.33")
    assert g.atomic_fifo is False and g.source("AtomicFIFO") == "profile"
    assert g.watch_list_client is True and g.source("WatchListClient") == "environment"


def test_gates_are_frozen_and_compare_by_value():
    g = FeatureGates.for_client_go("1.32")
    with pytest.raises(Exception):
        g.atomic_fifo = True  # type: ignore[misc]
    assert g == FeatureGates(**ALL_OFF) and hash(g) == hash(FeatureGates(**ALL_OFF))
