"""The kernagenda: thema's with their status, the versions the group publishes, their
public pages and their beheer."""
