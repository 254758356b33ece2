"""The kern role: the village's own site with its kernagenda, projects and beheer."""
