"""Access rights as code: export, plan, apply and copy the rights of a security server's clients.

``model`` holds a rights document (service → subjects), ``toml_format`` and ``csv_format`` read and
write it, ``plan`` compares it with the server, ``batching`` groups the changes into the fewest
calls and ``apply`` sends them; ``copy`` gives one subject the rights of another.
"""
