"""Chain of custody for footage (Art. 16(3), 16(7), 16(8), 17): archive retention, integrity seals,
the access ledger and the signing keys behind them.

* :mod:`~cctv_guard.custody.files` — walking an archive, container headers, hashing.
* :mod:`~cctv_guard.custody.retention` — the archive scan: kept days, missing days, gaps, short files.
* :mod:`~cctv_guard.custody.seals` — signed, hash-chained manifests of an archive, and the home's index of them.
* :mod:`~cctv_guard.custody.verify` — an archive compared with its seal: altered, deleted, added files.
* :mod:`~cctv_guard.custody.ledger` — who retrieved or copied footage, when and why.
* :mod:`~cctv_guard.custody.signing` — the home's Ed25519 key and canonical JSON.

Where recordings live (``{camera}/{date:%Y%m%d}/*.mp4``) is :mod:`cctv_guard.media.layout`.
"""

from cctv_guard.custody.files import (
    SEAL_DIR,
    FileStat,
    MediaTimes,
    Problem,
    hash_file,
    path_key,
    probe_media,
    walk_files,
)
from cctv_guard.custody.findings import (
    IMPORTANT_RETENTION_DAYS,
    RETENTION_DAYS,
    Finding,
)
from cctv_guard.custody.ledger import (
    AccessRequest,
    LedgerCheck,
    LedgerEntry,
    access_request,
    export_csv,
    ledger_path,
    ledger_to_json,
    list_entries,
    record_access,
    verify_ledger,
)
from cctv_guard.custody.retention import (
    SCAN_SCHEMA,
    CameraSummary,
    Gap,
    Recording,
    ScanReport,
    ShortFile,
    format_span,
    scan_archive,
    scan_layout,
    scan_to_json,
    summarize_camera,
)
from cctv_guard.custody.seals import (
    SEAL_INDEX,
    SEAL_SCHEMA,
    SealCheck,
    SealEntry,
    SealFooter,
    SealHeader,
    SealReader,
    SealResult,
    latest_seal,
    newest_indexed_seal,
    record_in_index,
    seal_archive,
    seal_files,
)
from cctv_guard.custody.signing import (
    SigningKey,
    canonical_json,
    default_key_path,
    load_key,
    load_or_create_key,
    sha256_hex,
    trusted_public_hex,
    verify_signature,
)
from cctv_guard.custody.verify import (
    VERIFY_SCHEMA,
    Change,
    VerifyReport,
    verify_archive,
    verify_to_json,
)

__all__ = [
    # files
    "SEAL_DIR", "FileStat", "MediaTimes", "Problem", "hash_file", "path_key", "probe_media", "walk_files",
    # findings
    "IMPORTANT_RETENTION_DAYS", "RETENTION_DAYS", "Finding",
    # retention
    "SCAN_SCHEMA", "CameraSummary", "Gap", "Recording", "ScanReport", "ShortFile", "format_span", "scan_archive",
    "scan_layout", "scan_to_json", "summarize_camera",
    # seals
    "SEAL_INDEX", "SEAL_SCHEMA", "SealCheck", "SealEntry", "SealFooter", "SealHeader", "SealReader", "SealResult",
    "latest_seal", "newest_indexed_seal", "record_in_index", "seal_archive", "seal_files",
    # verify
    "VERIFY_SCHEMA", "Change", "VerifyReport", "verify_archive", "verify_to_json",
    # ledger
    "AccessRequest", "LedgerCheck", "LedgerEntry", "access_request", "export_csv", "ledger_path", "ledger_to_json",
    "list_entries", "record_access", "verify_ledger",
    # signing
    "SigningKey", "canonical_json", "default_key_path", "load_key", "load_or_create_key", "sha256_hex",
    "trusted_public_hex", "verify_signature",
]
