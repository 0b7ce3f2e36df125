"""kmon.ui: the Qt desktop app — the only package that imports Qt (PySide6, qasync,
pyqtgraph): adapters, widgets and signals. What the views show is folded, without Qt, in
``kmon.monitor``.

Informer threads -> ``kmon.monitor.feed.Feed`` (one per context) -> ``bridge.FeedBridge``
(drains on a 100 ms QTimer, one ``sigBatch(list)`` per batch) -> ``workspace.Workspace``
(hands it to ``kmon.monitor.view_state.ViewState``: trees, history, resource states) ->
``tree_model``/``detail_pane``/``status_bar``, and ``views`` (event log, charts, inspector).
``app.run`` starts it; ``kmon.app_cli`` parses the command line first.
"""
