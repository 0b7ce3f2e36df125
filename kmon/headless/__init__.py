"""kmon.headless: the terminal commands (``kmon watch``, ``kmon stats``, ``kmon record``,
``kmon replay --to-json``).

Why this package exists: investigations also happen over SSH on a bastion, and incidents are
worth capturing for later. These commands run the same informer core as the GUI
(``kmon.monitor.ContextSession`` reporting into a ``Feed``) and print or record what it sees.
Nothing here imports Qt (a test checks it); ``kmon replay FILE`` without ``--to-json`` hands
over to ``kmon.ui.replay`` only when asked to open the GUI.

Modules: ``common`` (selection options, session start-up, signals, output), ``render`` (table
and JSON lines), ``watch``, ``stats``, ``record`` (also the in-process ``Recorder``),
``replay``. Each command module has ``main(argv) -> int``.
"""
