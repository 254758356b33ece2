"""Projects and their phases: updates, photos, support and volunteers, the public pages and
beheer."""
