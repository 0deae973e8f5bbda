"""The message-log archives screens: records, files, retention, a record's detail, verification."""

from screens.archives.screen import ArchivesScreen

__all__ = ["ArchivesScreen"]
