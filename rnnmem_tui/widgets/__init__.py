"""The explorer's screens and panels, one per module."""
