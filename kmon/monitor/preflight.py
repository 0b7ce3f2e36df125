"""What makes a run unusable before anything connects, checked up front.

Why this module exists: a selector the API server would reject is answered with 400 on every
request, and a mistyped ``KMON_*`` variable would be run against; both are cheaper to say at
start. The headless commands exit with these messages; the GUI shows them in its error area
and opens no context. (``ContextSession`` guards itself as well, for contexts opened later.)
"""

from __future__ import annotations

from kmon import env
from kmon.selectors import selector_problems

__all__ = ["preflight_problems"]


def preflight_problems(label_selector: str | None, field_selector: str | None = None) -> list[str]:
    """One message per problem: selectors in the API server's words, then unusable
    environment variables (naming them). Empty: good to go."""
    return selector_problems(label_selector, field_selector) + env.problems()
