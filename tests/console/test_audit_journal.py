from __future__ import annotations

import getpass
import json
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from backend.api.credentials import Secret
from backend.api.writes import WriteEvent, WriteObserver
from console import paths
from console.audit import REDACTED, AuditJournal, AuditJournalError

PIN = "735911"
API_KEY = "5b0d7c9e-1f2a-4e3b-8c6d-9a0b1c2d3e4f"


def event(**changes: object) -> WriteEvent:
    values: dict[str, object] = {
        "at": datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
        "method": "PUT",
        "path": "/tokens/0/login",
        "summary": "Log in to token 0",
        "outcome": "ok",
        "status": 200,
        "correlation_id": "c0ffee",
        "details": {"token_id": "0"},
    }
    values.update(changes)
    return WriteEvent(**values)  # type: ignore[arg-type]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_is_a_write_observer(tmp_path: Path) -> None:
    journal: WriteObserver = AuditJournal(tmp_path / "audit.jsonl")
    assert callable(journal.record)


def test_default_location_and_permissions(isolated_home: Path) -> None:
    journal = AuditJournal(profile="prod", server_url="https://ss1.example.kg:4000")
    journal.record(event())
    path = paths.audit_path()
    assert journal.path == path and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_write_record_fields(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    journal = AuditJournal(path, profile="prod", server_url="https://ss1.example.kg:4000")
    journal.record(event(outcome="warnings", status=400, error_code="warnings_detected",
                         warnings=("warning_int_usage",), ignored_warnings=True))
    [record] = lines(path)
    assert record == {
        "time": "2025-03-01T12:30:05.123Z",
        "kind": "write",
        "operator": getpass.getuser(),
        "profile": "prod",
        "server_url": "https://ss1.example.kg:4000",
        "method": "PUT",
        "path": "/tokens/0/login",
        "summary": "Log in to token 0",
        "outcome": "warnings",
        "status": 400,
        "error_code": "warnings_detected",
        "warnings": ["warning_int_usage"],
        "ignored_warnings": True,
        "correlation_id": "c0ffee",
        "details": {"token_id": "0"},
    }


def test_time_is_utc(tmp_path: Path) -> None:
    journal = AuditJournal(tmp_path / "a.jsonl")
    bishkek = timezone(timedelta(hours=6))
    journal.record(event(at=datetime(2025, 3, 1, 18, 0, tzinfo=bishkek)))
    assert journal.tail(1)[0]["time"] == "2025-03-01T12:00:00.000Z"


def test_secrets_in_details_are_never_written(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    journal = AuditJournal(path)
    journal.record(event(details={
        "token_id": "0",
        "pin": PIN,
        "password": "hunter2",
        "apiKey": API_KEY,
        "nested": {"client_secret": "s3cr3t", "roles": ["SERVER_ADMINISTRATOR"]},
        "list": [{"token": "t0k3n"}],
        "wrapped": Secret("inside-a-secret"),
    }))
    text = path.read_text(encoding="utf-8")
    for secret in (PIN, "hunter2", API_KEY, "s3cr3t", "t0k3n", "inside-a-secret"):
        assert secret not in text
    details = lines(path)[0]["details"]
    assert details["pin"] == details["password"] == details["apiKey"] == REDACTED
    assert details["nested"] == {"client_secret": REDACTED, "roles": ["SERVER_ADMINISTRATOR"]}
    assert details["list"] == [{"token": REDACTED}]
    assert details["wrapped"] == REDACTED
    assert details["token_id"] == "0"


def test_record_local(tmp_path: Path) -> None:
    journal = AuditJournal(tmp_path / "audit.jsonl", profile="prod")
    journal.record_local("key.stored", "Stored the API key for prod", api_key_ref="prod-admin",
                         api_key=API_KEY, at=datetime(2025, 1, 1, tzinfo=UTC), blob=b"abc")
    [record] = journal.tail(5)
    assert record["kind"] == "local" and record["action"] == "key.stored"
    assert record["summary"] == "Stored the API key for prod"
    assert record["profile"] == "prod" and record["outcome"] == "ok"
    assert record["details"] == {"api_key_ref": "prod-admin", "api_key": REDACTED,
                                 "at": "2025-01-01T00:00:00+00:00", "blob": "<3 bytes>"}
    assert record["time"].endswith("Z")
    assert API_KEY not in (tmp_path / "audit.jsonl").read_text()


def test_tail(tmp_path: Path) -> None:
    journal = AuditJournal(tmp_path / "audit.jsonl")
    assert journal.tail(3) == []
    for n in range(10):
        journal.record(event(summary=f"change {n}"))
    assert [r["summary"] for r in journal.tail(3)] == ["change 7", "change 8", "change 9"]
    assert len(journal.tail(100)) == 10
    assert journal.tail(0) == []


def test_tail_reads_backwards_through_a_large_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("console.audit._TAIL_BLOCK", 100)
    journal = AuditJournal(tmp_path / "audit.jsonl")
    for n in range(50):
        journal.record(event(summary=f"change {n}"))
    assert [r["summary"] for r in journal.tail(4)] == [f"change {n}" for n in range(46, 50)]


def test_a_cut_off_line_does_not_spoil_the_next(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    journal = AuditJournal(path)
    journal.record(event(summary="first"))
    with open(path, "ab") as file:
        file.write(b'{"time": "2025-')  # a crash in the middle of a line
    journal.record(event(summary="second"))
    assert [r["summary"] for r in journal.tail(10)] == ["first", "second"]


def test_appends_and_keeps_existing_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditJournal(path).record(event(summary="one"))
    AuditJournal(path).record(event(summary="two"))
    assert [r["summary"] for r in lines(path)] == ["one", "two"]


def test_for_connection(tmp_path: Path) -> None:
    journal = AuditJournal(tmp_path / "audit.jsonl")
    bound = journal.for_connection("test", "https://ss-test.example.kg:4000")
    bound.record(event())
    [record] = journal.tail(1)
    assert record["profile"] == "test" and record["server_url"] == "https://ss-test.example.kg:4000"
    assert journal.profile is None


def test_threads_do_not_interleave(tmp_path: Path) -> None:
    journal = AuditJournal(tmp_path / "audit.jsonl")

    def write(index: int) -> None:
        for n in range(20):
            journal.record(event(summary=f"{index}-{n}", details={"padding": "x" * 5000}))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(lines(tmp_path / "audit.jsonl")) == 80


def test_write_failure_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    journal = AuditJournal(blocker / "audit.jsonl")
    with pytest.raises(AuditJournalError) as caught:
        journal.record(event(summary="Delete client FI:GOV:1234:demo"))
    assert "Delete client FI:GOV:1234:demo" in caught.value.message
    assert "not recorded" in caught.value.message
    with pytest.raises(AuditJournalError):
        journal.record_local("profile.created", "Created profile prod")


def test_unreadable_journal_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "audit.jsonl").mkdir()
    with pytest.raises(AuditJournalError, match="could not read"):
        AuditJournal(tmp_path / "audit.jsonl").tail(5)


def test_operator_falls_back_to_uid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_user() -> str:
        raise OSError("no user")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert AuditJournal(tmp_path / "a.jsonl").operator.startswith("uid:")
