"""Can Qt's platform plugin start on this machine? Answered without importing Qt.

``check(env)`` returns None when it can, else one message for the user: every missing
shared library with the ``apt-get``/``dnf``/``pacman`` line that installs it, or the missing
display. ``kmon.app_cli`` runs it before creating the application, because Qt aborts the
process when its platform plugin cannot load. Modules: ``plugin`` (which plugin Qt will use,
and whether it can start), ``elf`` (shared-library resolution as the dynamic loader does it),
``packages`` (which package provides each library).
"""

from kmon.qtplatform.plugin import Probes, check, import_problem

__all__ = ["Probes", "check", "import_problem"]
