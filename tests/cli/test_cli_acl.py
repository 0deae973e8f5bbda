"""``kapka acl export|plan|apply|copy`` against a sandbox over TLS, with the real request limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.acl.acl_support import PERMITS, REGISTRY, TRACKING, grant_directly, rights, setup_registry
from tests.cli.conftest import CliSandbox

MAPS = "SANDBOX-KG:GOV:70000003:maps"


@pytest.fixture
def acl_cli(cli: CliSandbox) -> CliSandbox:
    setup_registry(cli.state)
    return cli


def exported(cli: CliSandbox, tmp_path: Path, name: str = "rights.toml") -> Path:
    target = tmp_path / name
    result = cli.kapka("acl", "export", "-o", str(target))
    assert result.code == 0, result.err
    assert "6 rights of 1 client(s) written to" in result.err
    return target


def test_export_to_standard_output_and_to_files(acl_cli: CliSandbox, tmp_path: Path) -> None:
    result = acl_cli.kapka("acl", "export")
    assert result.code == 0, result.err
    assert result.out.startswith(f"# Access rights on {acl_cli.base_url} (profile sandbox), exported ")
    assert f'id = "{REGISTRY}"' in result.out and '"admins",  # Administrators' in result.out
    csv_file = tmp_path / "rights.csv"
    assert acl_cli.kapka("acl", "export", "-o", str(csv_file)).code == 0
    assert csv_file.read_text().splitlines()[0] == "client,service,endpoint,subject,name"
    again = acl_cli.kapka("acl", "export", "-o", str(csv_file))
    assert again.code == 2 and "exists already" in again.err and "--force" in again.err
    assert acl_cli.kapka("acl", "export", "-o", str(csv_file), "--force").code == 0
    other = acl_cli.kapka("acl", "export", "--client", "SANDBOX-KG:GOV:70000001:nosuch")
    assert other.code == 3 and "no client SANDBOX-KG:GOV:70000001:nosuch" in other.err


def test_edit_plan_and_apply(acl_cli: CliSandbox, tmp_path: Path) -> None:
    target = exported(acl_cli, tmp_path)
    target.write_text(target.read_text().replace(f'"{TRACKING}",', f'"{MAPS}",'))
    plan = acl_cli.kapka("acl", "plan", str(target))
    assert plan.code == 0, plan.err
    assert plan.out.splitlines() == [
        f"Client {REGISTRY}", "  getPerson.v1", f"    + {MAPS}  (Chui Valley Land Cadastre Agency)",
        f"    - {TRACKING}  (Tien-Shan Logistics LLC)", "",
        "1 grant, 1 revocation, in 2 calls. 4 listed services and endpoints are as wanted already."]
    as_json = json.loads(acl_cli.kapka("acl", "plan", str(target), "--json").out)
    assert (as_json["grants"], as_json["revocations"], as_json["calls"]) == (1, 1, 2)
    assert ("getPerson", TRACKING) in rights(acl_cli.state)  # plan sends nothing

    refused = acl_cli.kapka("acl", "apply", str(target))  # no terminal to ask on, no --yes
    assert refused.code == 3 and "add --yes" in refused.err
    assert ("getPerson", TRACKING) in rights(acl_cli.state)

    applied = acl_cli.kapka("acl", "apply", str(target), "--yes")
    assert applied.code == 0, applied.err
    lines = applied.out.splitlines()
    assert f"ok        + getPerson.v1  {MAPS}" in lines
    assert f"ok        - getPerson.v1  {TRACKING}" in lines
    assert lines[-1] == "2 applied, 0 failed, 0 not sent."
    assert ("getPerson", MAPS) in rights(acl_cli.state)
    assert ("getPerson", TRACKING) not in rights(acl_cli.state)
    nothing = acl_cli.kapka("acl", "apply", str(target), "--yes")
    assert nothing.code == 0 and "No changes" in nothing.out


def test_a_failed_call_ends_with_a_non_zero_exit(acl_cli: CliSandbox, tmp_path: Path) -> None:
    # a subject that holds a right but has left the global configuration: the plan takes it (it
    # is a subject of the client), the server refuses a new right for it
    ghost = "SANDBOX-KG:GOV:99999999:ghost"
    endpoint = acl_cli.state.db.execute(
        "SELECT id FROM endpoints WHERE client_id = ? AND service_code = 'getPerson' "
        "AND method = '*'", (REGISTRY,)).fetchone()[0]
    grant_directly(acl_cli.state, int(endpoint), [ghost])
    target = tmp_path / "rights.csv"
    target.write_text("client,service,subject\n"
                      f"{REGISTRY},listPersons.v1,{PERMITS}\n{REGISTRY},listPersons.v1,{ghost}\n"
                      f"{REGISTRY},getAddress.v1,{MAPS}\n")
    result = acl_cli.kapka("acl", "apply", str(target), "--yes")
    assert result.code == 3, result.err
    lines = result.out.splitlines()
    assert any(line.startswith(f"FAILED    + listPersons.v1  {ghost}: ") for line in lines)
    assert "applied" in lines[-1] and "1 failed" in lines[-1]
    as_json = acl_cli.kapka("acl", "apply", str(target), "--yes", "--json",
                            "--continue-on-error")
    report = json.loads(as_json.out)
    assert as_json.code == 3 and not report["result"]["ok"] and report["result"]["failed"] == 1


def test_file_errors_and_plans_that_do_not_fit(acl_cli: CliSandbox, tmp_path: Path) -> None:
    target = tmp_path / "rights.toml"
    target.write_text(f'[[clients]]\nid = "{REGISTRY}"\n[clients.servces.x]\nsubjects = []\n')
    bad = acl_cli.kapka("acl", "plan", str(target))
    assert bad.code == 2
    assert f"{target}:3:10: unknown key “servces” — did you mean “services”?" in bad.err
    target.write_text(f'[[clients]]\nid = "{REGISTRY}"\n[clients.services."getPerson.v1"]\n'
                      'subjects = ["SANDBOX-KG:GOV:99999999:ghost"]\n')
    unfit = acl_cli.kapka("acl", "apply", str(target), "--yes")
    assert unfit.code == 3
    assert f"{target}:4:13: subject SANDBOX-KG:GOV:99999999:ghost is not known" in unfit.err
    assert ("getPerson", PERMITS) in rights(acl_cli.state)
    missing = acl_cli.kapka("acl", "plan", str(tmp_path / "none.toml"))
    assert missing.code == 2 and "Cannot read the rights file" in missing.err


def test_read_only_refuses_before_changing_anything(acl_cli: CliSandbox, tmp_path: Path) -> None:
    target = exported(acl_cli, tmp_path)
    target.write_text(target.read_text().replace(f'"{TRACKING}",', ""))
    result = acl_cli.kapka("acl", "apply", str(target), "--yes", "--read-only")
    assert result.code == 3 and "read-only mode" in result.out
    assert ("getPerson", TRACKING) in rights(acl_cli.state)


def test_copy(acl_cli: CliSandbox) -> None:
    dry = acl_cli.kapka("acl", "copy", "--client", REGISTRY, "--from", PERMITS, "--to", "admins",
                        "--dry-run")
    assert dry.code == 0, dry.err
    assert dry.out.splitlines()[:4] == [f"Client {REGISTRY}", "  getPerson.v1",
                                        "    + admins  (Administrators)", "  listPersons.v1"]
    assert ("getPerson", "1") not in rights(acl_cli.state)
    done = acl_cli.kapka("acl", "copy", "--client", REGISTRY, "--from", PERMITS, "--to", "admins",
                         "--yes")
    assert done.code == 0, done.err
    assert done.out.splitlines()[-1] == "2 applied, 0 failed, 0 not sent."
    unknown = acl_cli.kapka("acl", "copy", "--client", REGISTRY, "--from", PERMITS, "--to",
                            "auditors", "--yes")
    assert unknown.code == 3 and "no local group “auditors”" in unknown.err
