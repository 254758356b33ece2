"""Residents' ideas: sent in without an account, moderated by the group, perhaps a project."""
