"""The answer vocabulary shared by physics, prompts and metrics.

A tiny module with no imports so that prompts.py and metrics.py (and the dashboard) can
use the label names without pulling in the physics code.
"""

from __future__ import annotations

# The seven ways a manipulation fails, in the order used everywhere (tables, charts).
MODES = ("tipping", "slipping", "crushing", "sloshing", "collision", "dropping", "rolling_away")
# The eight classes a scenario can have: it works, or it fails in exactly one mode.
LABELS = ("success", *MODES)
# What an answer gets when the parser cannot tell a label from it (metrics count it wrong).
UNPARSED = "unparsed"
