"""Ed25519 signing keys for archive seals and the access ledger.

One private key per cctv-guard home (``<home>/keys/signing-ed25519.pem``), generated on first
use, written atomically and readable by its owner only (0600). Seals embed the public key; the
ledger stores it beside its signed head. Verification trusts the embedded key only when it is the
home's own key (or a key the caller names), so a forger cannot simply re-sign with a key of
their own.

Also here: canonical JSON (what a hash or signature covers), shared by every tamper-evident
file in cctv-guard.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from cctv_guard.core.atomic import PRIVATE_MODE, fsync_dir, write_atomic
from cctv_guard.core.errors import ArchiveError

KEY_DIR = "keys"
KEY_FILE = "signing-ed25519.pem"


def canonical_json(obj: Any) -> bytes:
    """The exact bytes a hash or signature covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class SigningKey:
    """A loaded private key and where it lives."""

    private: Ed25519PrivateKey
    path: Path

    @property
    def public_hex(self) -> str:
        return public_hex(self.private.public_key())

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def default_key_path(home: Path) -> Path:
    return Path(home) / KEY_DIR / KEY_FILE


def load_or_create_key(path: Path) -> SigningKey:
    """Load the PEM private key at ``path``; generate it (private: 0600, atomically) when absent.

    The new key is written durably under a temporary name (:func:`~cctv_guard.core.atomic.write_atomic`,
    0600 from its first byte) and then hard-linked into place, which fails rather than replace a
    key that another process created meanwhile: two seals started together on a fresh home end
    up signing with the same key."""
    path = Path(path)
    if path.exists():
        return load_key(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.new")
    try:
        write_atomic(tmp, pem, mode=PRIVATE_MODE)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    except OSError as exc:
        raise ArchiveError(f"cannot create signing key {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_dir(path.parent)
    return load_key(path)


def load_key(path: Path) -> SigningKey:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ArchiveError(f"cannot read signing key {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ArchiveError(f"signing key {path} is not an unencrypted PEM private key ({_first_line(exc)})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ArchiveError(f"signing key {path} is not an Ed25519 key (found {type(key).__name__})")
    return SigningKey(key, Path(path))


def trusted_public_hex(path: Path) -> str | None:
    """The public key of the private key at ``path``, or None when there is no key there."""
    return load_key(path).public_hex if Path(path).exists() else None


def parse_public_hex(text: str) -> str:
    """An Ed25519 public key given as hex (64 digits), lower-cased; ArchiveError when it is not one."""
    value = str(text).strip().lower()
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
    except ValueError:
        raise ArchiveError(f"not an Ed25519 public key (64 hex digits): {value[:80]!r}") from None
    return value


def verify_signature(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
