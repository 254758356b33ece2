"""Residents who follow the kern by e-mail, without an account."""
