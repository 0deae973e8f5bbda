"""Access rights as code: export, plan, apply and copy the rights of a security server's clients.

``model`` holds a rights document (service → subjects); ``toml_format`` and ``csv_format`` (through
``formats``) read and write it; ``export`` reads it from the server and ``snapshot`` is how the
server's rights are read; ``plan`` compares a document (or a change set) with the server,
``batching`` groups the changes into the fewest calls and ``apply`` sends them; ``copy`` gives one
subject the rights of another; ``render`` shows plans and results to people and scripts.
"""
