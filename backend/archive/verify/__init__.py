"""Verification of message-log archives, layer by layer (``xroad-messagelog.md`` §2–§3).

(a) ``linkinginfo``: the digest chain inside each archive file and across the files of a group;
(b) per container: ASiC-E structure, ``sig-hashchain``/``ts-hashchain``, the RFC 3161 timestamp;
(c) the XAdES signature, the signer certificate's path to an approved CA and its OCSP response,
judged at the timestamp's time against a verification configuration (a globalconf directory).

Entry points: :func:`verify_directory` (a directory, with progress and cancellation),
:func:`verify_archive` (one archive file), :func:`verify_record` (one record of an archive file,
with its linkinginfo line), :func:`verify_container` (one ``.asice``),
:func:`load_verification_conf`. Reports: :mod:`backend.archive.verify.report`.
"""

from backend.archive.verify.container import ContainerVerifier, verify_container
from backend.archive.verify.globalconf import ConfigurationError, VerificationConf, load_verification_conf
from backend.archive.verify.report import DirectoryReport, FileReport, Finding, Layer, RecordReport, Status
from backend.archive.verify.runner import find_archives, verify_archive, verify_directory, verify_record

__all__ = [
    "ConfigurationError",
    "ContainerVerifier",
    "DirectoryReport",
    "FileReport",
    "Finding",
    "Layer",
    "RecordReport",
    "Status",
    "VerificationConf",
    "find_archives",
    "load_verification_conf",
    "verify_archive",
    "verify_container",
    "verify_directory",
    "verify_record",
]
