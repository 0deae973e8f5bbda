"""The sandbox's message log: generated traffic, signed, timestamped and archived as X-Road does.

``kapka sandbox traffic`` (:mod:`.command`) runs :func:`.generate.generate`: it plans calls between
the seed's subsystems (:mod:`.plan`, :mod:`.messages`, :mod:`.catalogue`), signs their messages with
the members' keys (:mod:`.signers`, :mod:`.xades`, :mod:`.hashchain`), timestamps the records with
the sandbox TSA (:mod:`backend.sandbox.tsa`), packs each record into an ASiC-E container
(:mod:`.container`) and writes X-Road's archive files with their linkinginfo chain
(:mod:`.archive`, :mod:`.javazip`, :mod:`.gpg`), all in time order (:mod:`.engine`).
"""
