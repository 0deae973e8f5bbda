"""Export → edit → plan → apply against the sandbox, through the real client and transport."""

from __future__ import annotations

import pytest

from backend.acl.apply import apply_plan
from backend.acl.errors import PlanInvalid
from backend.acl.export import read_rights
from backend.acl.model import Target
from backend.acl.plan import make_plan
from backend.acl.render import plan_json, plan_lines
from backend.acl.toml_format import dump_toml, parse_toml
from tests.acl.acl_support import OWNERS_GROUP, PAYMENTS, PERMITS, REGISTRY, TRACKING, rights
from tests.sandbox.clients_support import add_services

REPORTS = "SANDBOX-KG:COM:50010002:reports"
MAPS = "SANDBOX-KG:GOV:70000003:maps"
STATE_REGISTRIES = "SANDBOX-KG:state-registries"


async def test_export_lists_every_service_endpoint_rights_and_names(acl) -> None:
    document = await read_rights(acl.client)
    assert document.clients() == [REGISTRY]
    assert dict(document.items()) == {
        Target(REGISTRY, "getAddress.v1"): ["admins"],
        Target(REGISTRY, "getPerson.v1"): [TRACKING, PERMITS],
        Target(REGISTRY, "listPersons.v1"): [PERMITS],
        Target(REGISTRY, "personsApi"): [OWNERS_GROUP],
        Target(REGISTRY, "personsApi", "GET /persons/{id}"): [PAYMENTS],
    }
    text = dump_toml(document)
    assert '"admins",  # Administrators' in text
    assert '[clients.services."getPerson.v1"]  # Title of getPerson' in text
    assert f'"{PAYMENTS}",  # ' in text
    assert parse_toml(text).rights == document.rights
    # the frame (3) + per service or per subject, whichever is fewer (4 services, 4 subjects)
    # + one per REST endpoint (2)
    assert acl.app.count("GET") == 1 + 3 + 4 + 2
    unchanged = await make_plan(acl.client, parse_toml(text))
    assert unchanged.is_empty and unchanged.unchanged == 5 and unchanged.untouched == 0
    assert plan_lines(unchanged) == ["No changes: the server's rights are as wanted."]


async def test_edit_plan_apply_and_export_again(acl) -> None:
    text = dump_toml(await read_rights(acl.client))
    edited = (text
              .replace(f'    "{TRACKING}",', f'    "{MAPS}",\n    "{STATE_REGISTRIES}",\n    "admins",')
              .replace(f'    "{PAYMENTS}",', f'    "{REPORTS}",'))
    document = parse_toml(edited, "rights.toml")
    plan = await make_plan(acl.client, document)
    assert [(c.action, str(c.target), c.subject) for c in plan.changes] == [
        ("grant", "getPerson.v1", MAPS), ("grant", "getPerson.v1", STATE_REGISTRIES),
        ("grant", "getPerson.v1", "admins"), ("revoke", "getPerson.v1", TRACKING),
        ("grant", "personsApi GET /persons/{id}", REPORTS),
        ("revoke", "personsApi GET /persons/{id}", PAYMENTS)]
    assert next(c for c in plan.changes if c.subject == "admins").subject_id == acl.registry.admins
    assert len(plan.calls) == 4  # grants to getPerson, to the endpoint; the revocations likewise
    lines = plan_lines(plan)
    assert lines[:3] == [f"Client {REGISTRY}", "  getPerson.v1", f"    + {MAPS}  (Chui Valley Land "
                                                                        "Cadastre Agency)"]
    assert "    - " + TRACKING + "  (Tien-Shan Logistics LLC)" in lines
    assert lines[-1].startswith("4 grants, 2 revocations, in 4 calls.")
    assert plan_json(plan)["batches"][0]["description"] == "grant 3 subjects access to getPerson.v1"
    acl.app.reset()
    result = await apply_plan(acl.client, plan)
    assert result.ok and result.count("ok") == 6
    assert acl.app.count("GET") == 0 and acl.app.count("POST") == 4
    assert [event.outcome for event in acl.journal.events] == ["ok"] * 4
    assert (await read_rights(acl.client)).rights == document.rights
    assert rights(acl.state) >= {("getPerson", acl.registry.admins), ("getPerson", MAPS),
                                 ("personsApi GET /persons/{id}", REPORTS)}
    again = await make_plan(acl.client, document)
    assert again.is_empty


async def test_a_file_lists_only_what_it_changes(acl) -> None:
    document = parse_toml(f'''[[clients]]
id = "{REGISTRY}"
[clients.services.getAddress]
subjects = []
''')
    acl.app.reset()
    plan = await make_plan(acl.client, document)
    assert [(c.action, c.subject) for c in plan.changes] == [("revoke", "admins")]
    assert plan.untouched == 3  # the other services keep their rights
    assert acl.app.count("GET") == 3 + 1  # the frame and the one service's subjects
    assert (await apply_plan(acl.client, plan)).ok
    assert ("getAddress", acl.registry.admins) not in rights(acl.state)
    assert ("getPerson", PERMITS) in rights(acl.state)


async def test_a_plan_failing_its_checks_halfway_applies_nothing(acl) -> None:
    before = rights(acl.state)
    text = f'''version = 1

[[clients]]
id = "{REGISTRY}"

[clients.services."getPerson.v1"]
subjects = ["{MAPS}", "{REPORTS}"]

[clients.services.getPersn]
subjects = ["{MAPS}"]

[clients.services.listPersons.endpoints."GET /nowhere"]
subjects = []

[clients.services."getAddress.v1"]
subjects = [
    "SANDBOX-KG:GOV:99999999:ghost",
    "auditors",
]

[[clients]]
id = "SANDBOX-KG:GOV:70000001:nosuch"

[clients.services.x]
subjects = []
'''
    with pytest.raises(PlanInvalid) as caught:
        await make_plan(acl.client, parse_toml(text, "rights.toml"))
    error = caught.value
    assert error.exit_code == 3
    lines = error.message.splitlines()
    assert lines[0] == (f"rights.toml:9:19: client {REGISTRY} has no service “getPersn” — did you "
                        "mean “getPerson.v1”?")
    assert lines[1].startswith("rights.toml:12:41: service listPersons.v1 of")
    assert "has no endpoint “GET /nowhere”" in lines[1]
    assert lines[2].startswith("rights.toml:17:5: subject SANDBOX-KG:GOV:99999999:ghost is not "
                               "known to the global configuration")
    assert lines[3] == (f"rights.toml:18:5: client {REGISTRY} has no local group “auditors” (its "
                        "local groups: admins)")
    assert lines[4] == "rights.toml:22:6: this server has no client SANDBOX-KG:GOV:70000001:nosuch"
    assert (error.line, error.column) == (9, 19)
    assert acl.journal.events == [] and acl.app.count("POST") == 0
    assert rights(acl.state) == before


async def test_versions_of_one_code_share_rights(acl) -> None:
    add_services(acl.state, REGISTRY, ["getPerson"], version="v2")
    text = f'''[[clients]]
id = "{REGISTRY}"
[clients.services."getPerson.v1"]
subjects = ["{PERMITS}"]
[clients.services."getPerson.v2"]
subjects = ["{PERMITS}", "{MAPS}"]
'''
    with pytest.raises(PlanInvalid, match="share one set of access rights"):
        await make_plan(acl.client, parse_toml(text))
    same = text.replace(f'["{PERMITS}", "{MAPS}"]', f'["{PERMITS}"]')
    plan = await make_plan(acl.client, parse_toml(same))
    assert [(c.action, c.subject) for c in plan.changes] == [("revoke", TRACKING)]


async def test_a_service_level_revocation_keeps_the_subjects_endpoint_rights(acl) -> None:
    endpoint = acl.registry.endpoints["personsApi /persons/{id}"]
    from tests.acl.acl_support import grant_directly

    grant_directly(acl.state, endpoint, [OWNERS_GROUP])
    text = f'''[[clients]]
id = "{REGISTRY}"
[clients.services.personsApi]
subjects = []
[clients.services."getPerson.v1"]
subjects = []
'''
    plan = await make_plan(acl.client, parse_toml(text))
    assert {(call.by, call.size) for call in plan.calls} == {("service", 1), ("service", 2)}
    assert (await apply_plan(acl.client, plan)).ok
    assert ("personsApi GET /persons/{id}", OWNERS_GROUP) in rights(acl.state)
    assert ("personsApi", OWNERS_GROUP) not in rights(acl.state)
