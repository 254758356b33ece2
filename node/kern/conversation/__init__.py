"""The conversation with the gemeente: its reacties and berichten, and the kern's answers."""
