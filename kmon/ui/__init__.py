"""kmon.ui: the Qt desktop app — the only package that imports Qt (PySide6, qasync).

Informer threads -> ``kmon.monitor.feed.Feed`` (one per context) -> ``bridge.FeedBridge``
(drains on a 100 ms QTimer, one ``sigBatch(list)`` per tick) -> ``workspace.Workspace``
(``ObjectTree``, ``History``, ``ResourceStates``) -> ``tree_model``/``detail_pane``/
``status_bar``. ``app.run`` starts it; ``kmon.app_cli`` parses the command line first.
"""
