"""X-Road message-log archives (``mlog-*.zip[.gpg]``): names, safe reading, records, index and search.

- ``names``: archive file names (6.x and 7.x forms), groups and ordering of a group's files.
- ``files`` (with ``safety`` and ``gpg``): opening an archive safely — the zip's directory checked
  against path tricks and zip bombs, entries read in memory only, ``.gpg`` decrypted by the system gpg.
- ``entries``: container entry names → query id, request/response, record id.
- ``records``: what a container's ``message.xml`` says (SOAP header, or REST request/response line).
- ``scan``, ``index`` and ``fileinfo``: the SQLite index of records in the user's cache directory,
  updated incrementally, and what it knows of each file.
- ``search``: filters, counts and pages over the index, for the command line and the records view.
"""
