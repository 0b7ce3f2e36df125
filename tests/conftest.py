"""Test-wide set-up: Qt renders offscreen (no display needed), and every test gets its tier.

Tiers (markers, registered in pyproject.toml) say what a test needs, so a loop can pick:

- ``pure``: values in, values out: no thread, socket, subprocess or Qt;
- ``model``: Qt models, signals and timers without a widget;
- ``widget``: pytest-qt widgets (offscreen), in process, no server;
- ``integration``: real HTTP to a sim, threads, subprocesses (kmon run as a command);
- ``slow``: besides its tier, a test that takes a second or more (measured, below).

``gui`` is derived: every test that needs Qt (``-m "not gui"`` runs where Qt cannot load).

A test's tier is its own (``TEST_TIER``, or a marker in the test module, which wins), else its
file's (``FILE_TIER``), else its folder's (``FOLDER_TIER``). The tables were made from a run of
the whole suite that recorded what each test touched (threads started, sockets connected,
subprocesses, Qt fixtures) and how long it took, on the 2-core machine while others shared it;
``SLOW`` holds the tests that took a second or more there. A module fixture's cost counts for
every test that needs it (whichever runs first pays it), so such a module is slow, or of a
heavier tier, as a whole. The ``pure``, ``model`` and ``widget`` tiers are enforced while a
test runs (``_tier_guard``): a test that outgrows its tier fails, naming the tier it needs. A
table entry that names no test of its file stops the run, so a renamed test is not silently
re-tiered.

    make test-fast      # pytest -m "not slow": everything but the long scenarios
    pytest -m pure      # the logic alone, in seconds
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TIERS = ("pure", "model", "widget", "integration")
QT_FIXTURES = {"qapp", "qtbot", "qtmodeltester", "qloop", "make_app"}

FOLDER_TIER = {
    "": "pure",  # tests/test_*.py: the code's shape, read from source
    "cache": "pure",
    "monitor": "pure",
    "kube": "integration",
    "sim": "integration",
    "headless": "integration",
    "hostile": "integration",
    "startup": "integration",
    "ui": "widget",
}

FILE_TIER = {
    "cache/test_informer.py": "integration",
    "cache/test_reflector.py": "integration",
    "headless/test_recording.py": "pure",
    "kube/test_config.py": "pure",
    "kube/test_dechunk_lines.py": "pure",
    "kube/test_selectors.py": "pure",
    "monitor/test_demo.py": "integration",
    "monitor/test_informer_counts.py": "integration",
    "monitor/test_raw_hot_path.py": "integration",
    "monitor/test_session.py": "integration",
    "monitor/test_session_options.py": "integration",
    "startup/test_platform_check.py": "pure",
    "startup/test_setup_docs.py": "pure",
    "ui/test_bench_smoke.py": "integration",
    "ui/test_bridge.py": "model",
    "ui/test_chart_colours.py": "pure",
    "ui/test_client_go_setting.py": "integration",
    "ui/test_compare_window.py": "integration",
    "ui/test_demo_acceptance.py": "integration",
    "ui/test_fault_panel.py": "integration",
    "ui/test_kubeconfig_reload.py": "integration",
    "ui/test_real_window.py": "integration",
    "ui/test_replay.py": "integration",  # its module fixture records a live sim first
    "ui/test_replay_fold.py": "integration",  # ditto
    "ui/test_tree_model.py": "model",
    "ui/test_unknown_resource.py": "integration",
    "ui/test_views_acceptance.py": "integration",
    "ui/test_widgets.py": "integration",
    "ui/test_window.py": "integration",
    "ui/test_window_real.py": "integration",
}

TEST_TIER = {
    "cache/test_options.py::test_reflector_options_decide_what_it_asks_the_server": "integration",
    "cache/test_delta_fifo.py::test_close_wakes_a_blocked_pop_and_closed_queue_still_drains": "integration",
    "cache/test_delta_fifo.py::test_pop_blocks_until_an_add_arrives": "integration",
    "cache/test_delta_fifo.py::test_queue_watch_events_wakes_a_waiting_pop": "integration",
    "cache/test_keys_store.py::test_concurrent_writers_keep_index_consistent": "integration",
    "cache/test_reflector.py::test_handle_watch_returns_when_stopped_without_error": "pure",
    "cache/test_reflector.py::test_relist_resource_version_rules": "pure",
    "cache/test_support.py::test_fake_clock_sleep_wakes_on_step_and_on_stop": "integration",
    "cache/test_support.py::test_gc_guard_concurrent_users_share_one_pause": "integration",
    "cache/test_support.py::test_kmon_cache_imports_no_qt": "integration",
    "headless/test_stats_render.py::test_event_table_columns_never_move": "pure",
    "headless/test_stats_render.py::test_helpers": "pure",
    "headless/test_stats_render.py::test_stats_rows_fit_the_terminal_and_never_wrap": "pure",
    "hostile/test_security.py::test_metadata_only_secret_yaml_masks_last_applied": "pure",
    "kube/test_config.py::test_broken_context_errors_name_file_and_entry": "integration",
    "kube/test_config.py::test_exec_plugin_relative_command": "integration",
    "kube/test_config.py::test_exec_plugin_token": "integration",
    "kube/test_config.py::test_failing_plugin_output_not_logged": "integration",
    "kube/test_discovery.py::test_api_resource_paths_quote": "pure",
    "kube/test_liveness.py::test_settings_from_client_gos_variables": "pure",
    "kube/test_liveness.py::test_the_last_resort_comes_after_the_watchs_own_deadline": "pure",
    "kube/test_liveness.py::test_unanswered_keepalive_is_a_lost_connection_not_silence": "pure",
    "monitor/test_feed.py::test_many_producers_one_consumer_lose_nothing": "integration",
    "monitor/test_message_masking.py::test_journal_exports_and_recordings_keep_secrets_status_messages": "integration",
    "monitor/test_no_qt.py::test_monitor_modules_import_without_qt": "integration",
    "sim/test_faults.py::test_every_fault_has_a_one_line_help_text": "pure",
    "sim/test_robustness.py::test_exact_state_at_every_past_revision": "pure",
    "sim/test_watch_cache.py::test_each_resource_has_its_own_window_and_version": "pure",
    "sim/test_watch_cache.py::test_periodic_progress_notification_moves_a_quiet_resources_version": "pure",
    "sim/test_watch_cache.py::test_window_is_capped_at_max_events": "pure",
    "sim/test_watch_cache.py::test_window_keeps_the_recent_events_and_at_least_min_events": "pure",
    "sim/test_workload.py::test_churned_pods_terminate_gracefully_and_go_away": "pure",
    "sim/test_workload.py::test_demo_objects_are_defaulted_and_managed_like_the_apiservers": "pure",
    "sim/test_workload.py::test_pod_bookkeeping_matches_the_store_after_churn": "pure",
    "sim/test_workload.py::test_realistic_pods": "pure",
    "sim/test_workload.py::test_same_seed_same_objects_and_churn": "pure",
    "startup/test_cli.py::test_geometry_and_palette_choose_the_window_for_this_run": "pure",
    "startup/test_cli.py::test_missing_qt_libraries_name_every_one_and_exit_1": "pure",
    "startup/test_cli.py::test_the_license_is_an_spdx_expression_setuptools_understands": "pure",
    "startup/test_platform_check.py::test_a_display_without_an_x_server": "integration",
    "startup/test_platform_check.py::test_the_child_process_probe_reports_what_qt_said": "integration",
    "startup/test_platform_check.py::test_the_resolver_agrees_with_the_dynamic_loader": "integration",
    "ui/test_columns.py::test_default_layout_shows_what_matters": "integration",
    "ui/test_event_log.py::test_a_million_events_through_a_100k_log_stay_bounded": "model",
    "ui/test_event_log.py::test_filtering_100k_rows_reads_no_row_twice_and_a_tick_only_its_own": "model",
    "ui/test_event_log.py::test_model_passes_the_tester_while_the_ring_drops_rows": "model",
    "ui/test_event_log.py::test_secrets_status_messages_read_as_said_and_credentials_stay_masked": "model",
    "ui/test_inspector.py::test_rows_and_changed_cells": "model",
    "ui/test_widgets.py::test_settings_file_is_the_injected_one": "pure",
    "ui/test_window.py::test_event_log_and_inspector_columns_chosen_by_the_user_persist": "widget",
    "ui/test_window.py::test_menu_bar_file_view_context_help": "widget",
    "ui/test_window.py::test_palette_is_applied_to_the_app_and_saved": "widget",
    "ui/test_window.py::test_quick_switcher_ranks_the_exact_name_first_and_ignores_the_server": "widget",
    "ui/test_window.py::test_resource_settings_keys_survive_awkward_context_names": "pure",
    "ui/test_window.py::test_shortcuts_dialog_lists_every_shortcut_from_the_actions": "widget",
    "ui/test_window.py::test_tree_columns_shown_and_hidden_from_the_view_menu_persist": "widget",
}

SLOW = {  # measured: every test taking a second or more (setup + call + teardown) in either of two runs
    "headless/test_bench_smoke.py",  # every test: 1.8 s at most
    "headless/test_no_qt.py::test_running_the_headless_commands_loads_no_qt",  # 3.2 s
    "headless/test_record.py",  # every test: 5.0 s at most
    "headless/test_secret_messages.py",  # every test: 2.1 s at most
    "headless/test_stats_render.py::test_stats_errors",  # 1.6 s
    "headless/test_stats_render.py::test_stats_fits_a_real_terminal_and_keeps_every_column_in_a_pipe",  # 1.9 s
    "headless/test_watch.py::test_watch_errors_are_one_line",  # 1.7 s
    "headless/test_watch.py::test_watch_json_shows_deltas_and_the_relist_after_compaction",  # 2.1 s (max of 2)
    "headless/test_watch.py::test_watch_rejects_an_unknown_resource_with_kubectls_words_and_runs_the_others",  # 3.5 s
    "headless/test_watch.py::test_watch_secrets_json_masks_values",  # 1.3 s
    "hostile/test_bad_input.py",  # every test: 2.6 s at most
    "hostile/test_faults.py",  # every test: 22.3 s at most
    "hostile/test_gui.py::test_a_stalled_server_is_shown_and_recovers",  # 3.2 s
    "hostile/test_gui.py::test_window_stays_responsive_and_explains_faults",  # 14.1 s
    "hostile/test_headless_faults.py",  # every test: 5.3 s at most
    "hostile/test_kubeconfig.py::test_headless_missing_file_and_invalid_yaml",  # 1.4 s (0.8 s in another run)
    "hostile/test_security.py::test_whole_session_is_read_only_and_leaks_nothing",  # 11.9 s
    "hostile/test_sleep.py",  # every test: 8.8 s at most
    "hostile/test_soak.py",  # every test: 141.0 s at most
    "kube/test_bench_smoke.py",  # every test: 8.5 s at most
    "kube/test_informer_sim.py::test_informer_for_syncs_and_follows_churn",  # 1.0 s
    "kube/test_informer_sim.py::test_informer_for_with_sim_workload",  # 1.2 s (max of 3)
    "kube/test_informer_sim.py::test_informer_survives_fault",  # 3.4 s (max of 11)
    "kube/test_informer_sim.py::test_random_workloads_and_faults_converge",  # 5.5 s
    "kube/test_listwatch_sim.py::test_connection_refused",  # 1.0 s
    "kube/test_listwatch_sim.py::test_stalled_watch_inactivity_timeout",  # 1.5 s
    "kube/test_listwatch_wire.py::test_inactivity_timeout",  # 1.5 s
    "kube/test_liveness.py::test_a_quiet_resource_watch_stays_open_past_many_idle_periods",  # 3.0 s
    "kube/test_liveness.py::test_a_stalled_server_is_noticed_reported_once_per_watch_and_the_cache_recovers",  # 35.1 s
    "kube/test_liveness.py::test_a_stream_silent_well_past_its_own_deadline_is_ended",  # 1.5 s
    "kube/test_liveness.py::test_a_watch_the_live_server_keeps_silent_is_waited_for",  # 4.8 s
    "kube/test_liveness.py::test_sixty_idle_watches_cost_one_probe_per_period",  # 1.9 s
    "monitor/test_demo.py::test_achieved_churn_follows_the_requested_rate",  # 1.0 s
    "monitor/test_journal.py::test_million_events_bounded",  # 1.0 s
    "monitor/test_masking.py::test_no_value_survives",  # 1.5 s
    "monitor/test_message_masking.py::test_journal_exports_and_recordings_keep_secrets_status_messages",  # 1.0 s
    "monitor/test_session.py::test_forbidden_resource_fails_alone",  # 1.6 s (0.8 s in another run)
    "monitor/test_session.py::test_server_restart_is_reported_and_recovered",  # 1.6 s
    "sim/test_cli_bench.py::test_bench_gui_quick_on_the_demo_cluster_in_a_child_process",  # 6.9 s
    "sim/test_cli_bench.py::test_bench_quick",  # 9.8 s
    "sim/test_cli_bench.py::test_bench_sync_repeats_the_gui_sync_and_summarises_it",  # 5.1 s
    "sim/test_cli_bench.py::test_kmon_sim_cli",  # 1.3 s (0.8 s in another run)
    "sim/test_faults.py::test_expire_watch_cache",  # 1.0 s
    "sim/test_robustness.py::test_watch_threads_notice_gone_clients",  # 2.1 s
    "sim/test_sim_cli.py::test_two_sims_with_context_prefixes_merge_with_KUBECONFIG",  # 1.1 s (0.6 s in another run)
    "sim/test_watch.py::test_a_bookmark_comes_before_the_timeout",  # 3.0 s
    "sim/test_watch.py::test_a_quiet_resource_gets_no_bookmarks",  # 3.0 s
    "sim/test_watch.py::test_bookmarks_once_the_cache_version_passed_the_watch",  # 1.4 s
    "sim/test_watch.py::test_timeout_seconds_ends_stream_cleanly",  # 1.0 s
    "sim/test_watch.py::test_watch_from_a_future_version_is_silent_until_timeout",  # 1.0 s
    "ui/test_bench_smoke.py",  # every test: 4.1 s at most
    "ui/test_columns.py::test_default_layout_shows_what_matters",  # 1.3 s (max of 2)
    "ui/test_demo_acceptance.py::test_tree_equals_informer_caches_after_churn",  # 2.1 s
    "ui/test_event_log.py::test_a_million_events_through_a_100k_log_stay_bounded",  # 1.3 s
    "ui/test_fault_panel.py",  # every test: 10.1 s at most
    "ui/test_kubeconfig_reload.py::test_a_server_restarted_with_a_new_certificate_authority",  # 2.3 s
    "ui/test_real_window.py",  # every test: 1.6 s at most
    "ui/test_replay.py",  # its module fixture (a recording of a live sim) costs 3.5 s, paid by the first test
    "ui/test_replay_fold.py",  # ditto, 8 s
    "ui/test_tree_model.py::test_model_follows_batches_under_the_tester",  # 1.4 s
    "ui/test_unknown_resource.py",  # every test: 1.6 s at most
    "ui/test_views_acceptance.py::test_expired_watch_cache_and_dropped_watches_then_verify",  # 3.3 s
    "ui/test_views_acceptance.py::test_two_contexts_every_chart_series_carries_its_context",  # 1.3 s
    "ui/test_widgets.py::test_screenshot_command",  # 5.0 s
    "ui/test_window.py::test_an_invalid_filter_says_so_in_place_and_names_what_the_tree_shows",  # 1.2 s
    "ui/test_window_real.py",  # every test: 3.8 s at most
}


def _keys(item: pytest.Item) -> tuple[str, str, str]:
    """The item's file relative to tests/, ``file::test`` and ``file::test[params]``."""
    rel = os.path.relpath(str(item.path), os.path.dirname(__file__)).replace(os.sep, "/")
    local = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else ""
    return rel, f"{rel}::{local.split('[', 1)[0]}", f"{rel}::{local}"


@pytest.hookimpl(tryfirst=True)  # before -m / -k deselect by these markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    files, names = set(), set()
    for item in items:
        rel, test, param = _keys(item)
        files.add(rel)
        names.update((test, param))
        if not any(item.get_closest_marker(t) for t in TIERS):
            tier = TEST_TIER.get(test) or FILE_TIER.get(rel) or FOLDER_TIER.get(os.path.dirname(rel))
            if tier is None:
                raise pytest.UsageError(f"{rel}: no tier for its folder; add it to FOLDER_TIER in tests/conftest.py")
            item.add_marker(tier)
        if rel in SLOW or test in SLOW or param in SLOW:
            item.add_marker("slow")
        if (item.get_closest_marker("model") or item.get_closest_marker("widget")
                or QT_FIXTURES & set(getattr(item, "fixturenames", ()))):
            item.add_marker("gui")
    # an entry naming a collected file must name one of its tests: a renamed test is not re-tiered
    # (checked only for files collected whole: `pytest file.py::one_test` collects one test)
    partial = {a.split("::", 1)[0] for a in config.args if "::" in a}
    whole = {f for f in files if not any(p.endswith(f) for p in partial)}
    stale = sorted(e for e in [*TEST_TIER, *SLOW] if "::" in e and e.split("::")[0] in whole and e not in names)
    if stale:
        raise pytest.UsageError("tests/conftest.py names tests that do not exist (renamed or removed? "
                                "update its tables): " + ", ".join(stale))


# -- the guard: a test that outgrows its tier fails and says which tier it needs ----------------
def _refuse(what: str, tier: str, needs: str):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a {tier!r} test {what}: give it the {needs!r} tier (tests/conftest.py)")
    return refuse


@pytest.fixture(autouse=True)
def _tier_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    tier = next((m.name for m in request.node.iter_markers() if m.name in TIERS), None)  # the closest
    if tier not in ("pure", "model", "widget"):
        return
    if tier == "pure":
        if QT_FIXTURES & set(request.fixturenames):
            raise AssertionError("a 'pure' test uses Qt: give it the 'model' or 'widget' tier (tests/conftest.py)")
        monkeypatch.setattr(threading.Thread, "start", _refuse("starts a thread", tier, "integration"))
    for name in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, name, _refuse(f"opens a socket ({name})", tier, "integration"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("starts a process", tier, "integration"))
