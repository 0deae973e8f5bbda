"""``kapka keys list`` and ``kapka token login`` against a sandbox over TLS; connecting and its errors."""

from __future__ import annotations

import json
import os
import socket

import pytest

from tests.cli.conftest import PASSPHRASE, CliSandbox
from tests.pki.pkitools import REFERENCE_DIR
from tests.sandboxes import PIN


def test_keys_list_shows_tokens_keys_and_certificates(cli: CliSandbox) -> None:
    result = cli.kapka("keys", "list")
    assert result.code == 0, result.err
    out = result.out
    assert "Token 0  softToken-0" in out and "logged in" in out
    assert "Key auth-key  (authentication, RSA)" in out
    assert "Key sign-key  (signing, RSA)" in out
    assert cli.ids["auth_hash"] in out and cli.ids["sign_hash"] in out
    assert "days left" in out and "renew soon" in out  # the signing certificate has 30 days
    assert all(len(line) <= 80 for line in out.splitlines()), out


def test_keys_list_json(cli: CliSandbox) -> None:
    result = cli.kapka("keys", "list", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["profile"] == "sandbox" and data["server"] == cli.base_url
    certificates = {cert["certificate_details"]["hash"]: cert
                    for token in data["tokens"] for key in token["keys"]
                    for cert in key["certificates"]}
    assert set(certificates) >= {cli.ids["auth_hash"], cli.ids["sign_hash"]}
    assert certificates[cli.ids["sign_hash"]]["days_left"] in (29, 30)
    assert certificates[cli.ids["auth_hash"]]["status"] == "SAVED"


def test_token_login_with_the_pin_on_a_file_descriptor(cli: CliSandbox) -> None:
    cli.state.logout_token()
    read_end, write_end = os.pipe()
    os.write(write_end, PIN.encode() + b"\n")
    os.close(write_end)
    try:
        result = cli.kapka("token", "login", "--pin-fd", str(read_end))
    finally:
        os.close(read_end)
    assert result.code == 0, result.err
    assert "Logged in to token softToken-0" in result.out
    assert cli.state.token("0")["logged_in"]
    again = cli.kapka("token", "login")
    assert again.code == 0 and "logged in already" in again.out


def test_token_login_with_a_wrong_pin_is_refused(cli: CliSandbox) -> None:
    cli.state.logout_token()
    read_end, write_end = os.pipe()
    os.write(write_end, b"Wrong-PIN-12345")
    os.close(write_end)
    try:
        result = cli.kapka("token", "login", "--pin-fd", str(read_end))
    finally:
        os.close(read_end)
    assert result.code == 3
    assert "PIN" in result.err and not cli.state.token("0")["logged_in"]


def test_token_login_never_takes_the_pin_from_argv_and_needs_a_terminal(cli: CliSandbox) -> None:
    cli.state.logout_token()
    with pytest.raises(SystemExit) as caught:
        cli.kapka("token", "login", "--pin", PIN)
    assert caught.value.code == 2
    assert "never taken from the command line" in cli.capsys.readouterr().err
    result = cli.kapka("token", "login")  # stdin is not a terminal under pytest
    assert result.code == 2 and "--pin-fd" in result.err


# -- profiles, secrets, connections ------------------------------------------------------------

def test_a_named_profile_that_does_not_exist(cli: CliSandbox) -> None:
    result = cli.kapka("keys", "list", "--profile", "nope")
    assert result.code == 2 and "no profile named nope" in result.err


def test_no_default_profile(cli: CliSandbox) -> None:
    cli.config.write_text("")
    result = cli.kapka("keys", "list")
    assert result.code == 2 and "--profile NAME" in result.err


def test_the_secrets_passphrase_is_needed_without_a_terminal(
        cli: CliSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAPKA_SECRETS_PASSPHRASE")
    result = cli.kapka("keys", "list")
    assert result.code == 2 and "KAPKA_SECRETS_PASSPHRASE" in result.err
    monkeypatch.setenv("KAPKA_SECRETS_PASSPHRASE", PASSPHRASE + "-wrong")
    result = cli.kapka("keys", "list")
    assert result.code == 2 and "does not open" in result.err


def test_a_missing_api_key(cli: CliSandbox) -> None:
    cli.write_profile(api_key_ref="profile/other")
    result = cli.kapka("keys", "list")
    assert result.code == 2 and "profile/other" in result.err


def test_a_server_that_does_not_answer_is_exit_code_4(cli: CliSandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli.write_profile(url=f"https://127.0.0.1:{port}/api/v1")
    result = cli.kapka("keys", "list")
    assert result.code == 4 and "Cannot connect" in result.err


def test_an_untrusted_server_certificate_is_exit_code_4(cli: CliSandbox) -> None:
    cli.write_profile(certificate=str(REFERENCE_DIR / "fixtures/certs/google-cert.pem"))
    result = cli.kapka("keys", "list")
    assert result.code == 4 and "could not be verified" in result.err


def test_a_revoked_api_key_is_exit_code_4(cli: CliSandbox) -> None:
    for record in cli.state.api_keys():
        cli.state.delete_api_key(record.id)
    result = cli.kapka("keys", "list")
    assert result.code == 4


def test_help_lists_the_exit_codes(cli: CliSandbox) -> None:
    for command in (["keys", "list"], ["csr", "export"], ["cert", "import"], ["token", "login"]):
        with pytest.raises(SystemExit) as caught:
            cli.kapka(*command, "--help")
        assert caught.value.code == 0
        out = cli.capsys.readouterr().out
        assert "exit codes:" in out and "4    not connected" in out
        assert all(len(line) <= 80 for line in out.splitlines()), out
