"""Test-wide set-up: Qt renders offscreen (no display needed) in every tier."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
