"""Residents' personal data: who in beheer sees it, retention, export and erasure on request."""
