from __future__ import annotations

import base64
import json
import pickle
import stat
import threading
from pathlib import Path

import keyring.backend
import pytest
from keyring.errors import PasswordDeleteError

from console.filekeyring import (
    EncryptedFileKeyring,
    ScryptParams,
    SecretsFileError,
    SecretsLocked,
)

SECRET = "3a9c1f0e-7d42-4b8e-9f61-0c5d2e8a7b14"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kapka" / "secrets.kapka"


def make(path: Path, kdf: ScryptParams, passphrase: str = "correct horse") -> EncryptedFileKeyring:
    return EncryptedFileKeyring(path, passphrase, kdf)


def test_round_trip_and_file_format(path: Path, fast_kdf: ScryptParams) -> None:
    ring = make(path, fast_kdf)
    assert ring.get_password("kapka", "prod") is None
    assert not path.exists()  # a file appears with the first secret
    ring.set_password("kapka", "prod", SECRET)
    ring.set_password("kapka", "test", "other")
    assert ring.get_password("kapka", "prod") == SECRET

    raw = path.read_bytes()
    assert SECRET.encode() not in raw and b"correct horse" not in raw and b"prod" not in raw
    envelope = json.loads(raw)
    assert envelope["format"] == "kapka-secrets" and envelope["version"] == 1
    assert envelope["kdf"] == {
        "name": "scrypt", "n": 2**12, "r": 8, "p": 1, "length": 32,
        "salt": envelope["kdf"]["salt"],
    }
    assert len(base64.b64decode(envelope["kdf"]["salt"])) == 16
    assert len(base64.b64decode(envelope["nonce"])) == 12

    reopened = make(path, ScryptParams())  # the file's own parameters are used to open it
    assert reopened.get_password("kapka", "prod") == SECRET
    assert reopened.get_password("kapka", "test") == "other"
    assert reopened.get_password("other-service", "prod") is None


def test_permissions(path: Path, fast_kdf: ScryptParams) -> None:
    make(path, fast_kdf).set_password("kapka", "prod", SECRET)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    make(path, fast_kdf).set_password("kapka", "prod", "changed")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_every_write_uses_a_fresh_nonce(path: Path, fast_kdf: ScryptParams) -> None:
    ring = make(path, fast_kdf)
    ring.set_password("kapka", "prod", SECRET)
    first = json.loads(path.read_bytes())
    ring.set_password("kapka", "prod", SECRET)
    second = json.loads(path.read_bytes())
    assert first["nonce"] != second["nonce"]
    assert first["ciphertext"] != second["ciphertext"]


def test_delete(path: Path, fast_kdf: ScryptParams) -> None:
    ring = make(path, fast_kdf)
    ring.set_password("kapka", "prod", SECRET)
    ring.delete_password("kapka", "prod")
    assert ring.get_password("kapka", "prod") is None
    with pytest.raises(PasswordDeleteError):
        ring.delete_password("kapka", "prod")


def test_wrong_passphrase(path: Path, fast_kdf: ScryptParams) -> None:
    make(path, fast_kdf).set_password("kapka", "prod", SECRET)
    with pytest.raises(SecretsLocked) as caught:
        make(path, fast_kdf, "wrong horse")
    assert "passphrase does not open" in caught.value.message
    assert str(path) in caught.value.message


def test_empty_passphrase_is_refused(path: Path, fast_kdf: ScryptParams) -> None:
    with pytest.raises(SecretsLocked, match="empty"):
        make(path, fast_kdf, "")


def test_tampered_ciphertext_is_not_a_wrong_passphrase(path: Path, fast_kdf: ScryptParams) -> None:
    make(path, fast_kdf).set_password("kapka", "prod", SECRET)
    envelope = json.loads(path.read_bytes())
    sealed = bytearray(base64.b64decode(envelope["ciphertext"]))
    sealed[0] ^= 1
    envelope["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    path.write_text(json.dumps(envelope))
    with pytest.raises(SecretsFileError) as caught:
        make(path, fast_kdf)
    assert not isinstance(caught.value, SecretsLocked)
    assert "integrity check" in caught.value.message


def test_tampering_after_unlock_is_detected(path: Path, fast_kdf: ScryptParams) -> None:
    ring = make(path, fast_kdf)
    ring.set_password("kapka", "prod", SECRET)
    envelope = json.loads(path.read_bytes())
    envelope["nonce"] = base64.b64encode(bytes(12)).decode()
    path.write_text(json.dumps(envelope))
    with pytest.raises(SecretsFileError, match="integrity check"):
        ring.get_password("kapka", "prod")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not json", "not JSON"),
        (b'{"format": "something-else"}', "not a Kapka secrets file"),
        (b'{"format": "kapka-secrets", "version": 1, "kdf": {}}', "parameters"),
        (b'{"format": "kapka-secrets", "version": 9}', "format version 9"),
    ],
)
def test_corrupt_files(path: Path, fast_kdf: ScryptParams, content: bytes, words: str) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(SecretsFileError) as caught:
        make(path, fast_kdf)
    assert not isinstance(caught.value, SecretsLocked)
    assert words in caught.value.message


def test_absurd_kdf_parameters_are_refused(path: Path, fast_kdf: ScryptParams) -> None:
    make(path, fast_kdf).set_password("kapka", "prod", SECRET)
    envelope = json.loads(path.read_bytes())
    envelope["kdf"]["n"] = 2**30  # would need 1 TiB of memory
    path.write_text(json.dumps(envelope))
    with pytest.raises(SecretsFileError, match="parameters"):
        make(path, fast_kdf)


def test_unreadable_file(path: Path, fast_kdf: ScryptParams) -> None:
    path.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(SecretsFileError, match="cannot read"):
        make(path, fast_kdf)


def test_change_passphrase(path: Path, fast_kdf: ScryptParams) -> None:
    ring = make(path, fast_kdf)
    ring.set_password("kapka", "prod", SECRET)
    salt = json.loads(path.read_bytes())["kdf"]["salt"]
    ring.change_passphrase("battery staple")
    assert json.loads(path.read_bytes())["kdf"]["salt"] != salt
    assert ring.get_password("kapka", "prod") == SECRET
    with pytest.raises(SecretsLocked):
        make(path, fast_kdf)
    assert make(path, fast_kdf, "battery staple").get_password("kapka", "prod") == SECRET


def test_passphrase_changed_by_another_process(path: Path, fast_kdf: ScryptParams) -> None:
    first = make(path, fast_kdf)
    first.set_password("kapka", "prod", SECRET)
    make(path, fast_kdf).change_passphrase("battery staple")
    with pytest.raises(SecretsLocked, match="re-encrypted"):
        first.get_password("kapka", "prod")


def test_passphrase_function_is_asked_once_and_lazily(path: Path, fast_kdf: ScryptParams) -> None:
    make(path, fast_kdf).set_password("kapka", "prod", SECRET)
    asked: list[int] = []

    def ask() -> str:
        asked.append(1)
        return "correct horse"

    ring = EncryptedFileKeyring(path, ask, fast_kdf)
    assert asked == [] and not ring.unlocked
    assert ring.get_password("kapka", "prod") == SECRET
    assert ring.get_password("kapka", "prod") == SECRET
    assert asked == [1]
    ring.lock()
    assert ring.get_password("kapka", "prod") == SECRET
    assert asked == [1, 1]


def test_locked_without_a_function(path: Path, fast_kdf: ScryptParams) -> None:
    ring = make(path, fast_kdf)
    ring.set_password("kapka", "prod", SECRET)
    ring.lock()
    with pytest.raises(SecretsLocked, match="locked"):
        ring.get_password("kapka", "prod")


def test_passphrase_is_not_kept(path: Path, fast_kdf: ScryptParams) -> None:
    ring = make(path, fast_kdf, "correct horse")
    assert "correct horse" not in repr(vars(ring))
    assert "correct horse" not in str(ring)
    with pytest.raises(TypeError):
        pickle.dumps(ring)


def test_not_offered_to_keyring_discovery() -> None:
    assert EncryptedFileKeyring.priority == 0.5
    assert EncryptedFileKeyring.viable
    assert EncryptedFileKeyring not in set(keyring.backend.KeyringBackend.get_viable_backends())


def test_concurrent_writers_lose_nothing(path: Path, fast_kdf: ScryptParams) -> None:
    make(path, fast_kdf).set_password("kapka", "seed", "x")
    rings = [make(path, fast_kdf) for _ in range(2)]  # two processes' views of one file

    def store(index: int) -> None:
        for n in range(10):
            rings[index].set_password("kapka", f"k{index}-{n}", "v")

    threads = [threading.Thread(target=store, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = make(path, fast_kdf)
    assert all(reader.get_password("kapka", f"k{i}-{n}") == "v" for i in range(2) for n in range(10))


def test_default_cost_is_the_documented_one() -> None:
    assert ScryptParams() == ScryptParams(n=2**15, r=8, p=1)
    with pytest.raises(ValueError):
        EncryptedFileKeyring(Path("/nonexistent"), "x", ScryptParams(n=1000))
