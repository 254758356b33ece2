"""Bloei's server: one node per kern, or the gemeente's aggregator."""

__version__ = "0.1.0"
