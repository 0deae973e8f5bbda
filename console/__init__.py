"""Kapka: a terminal operator console for X-Road security servers."""

__version__ = "0.1.0"
