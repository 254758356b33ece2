"""News from the group (berichten): written, scheduled, shown and removed."""
