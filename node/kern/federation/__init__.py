"""The kern on the fediverse: its actor and identity, publishing its changes as signed
activities, what it receives from kernen it follows, and the beheer of federation."""
