"""Signals `communes` sends for changes it makes in bulk (which send no save signal), so that the rooms
above (the networks and their map) follow without `communes` knowing them."""

from django.dispatch import Signal

# Sent after an import changed the territories: `territoire_ids` (set) and `ended` — a list of
# (territoire_id, agent_id) whose membership ended at `at` because their collectivité left.
territoires_imported = Signal()
