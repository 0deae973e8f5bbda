"""Everything in Kapka that is not user interface.

This package never imports textual, console or screens (an import-linter contract checks it).
"""
