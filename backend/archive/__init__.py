"""X-Road message-log archives (``mlog-*.zip[.gpg]``): names, safe reading, records, index and search.

- ``names``: archive file names (6.x and 7.x forms), groups and ordering of a group's files.
- ``files``: opening an archive safely (central directory, zip-bomb and path checks, ``.gpg``).
- ``entries``: container entry names → query id, request/response, record id.
- ``records``: what a container's ``message.xml`` says (SOAP header or REST request/response line).
- ``index``: the SQLite index of records in the user's cache directory, updated incrementally.
- ``search``: filters, counts and pages over the index, for the command line and the screen.
"""
