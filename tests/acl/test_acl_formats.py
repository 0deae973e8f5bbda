"""Rights files: TOML and CSV written and read back, and every kind of mistake with its place."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from backend.acl.csv_format import dump_csv, parse_csv
from backend.acl.errors import RightsFileError
from backend.acl.formats import RightsFileUnreadable, format_for, load_rights
from backend.acl.model import RightsDocument, Target
from backend.acl.toml_format import dump_toml, parse_toml
from backend.errors import KapkaError

CLIENT = "SANDBOX-KG:GOV:70000001:registry"
PORTAL = "SANDBOX-KG:GOV:70000002:portal"
CRM = "SANDBOX-KG:COM:40000001:crm"
OWNERS = "SANDBOX-KG:security-server-owners"

GOOD = f'''version = 1

[[clients]]
id = "{CLIENT}"

[clients.services."getPerson.v1"]  # Get a person
subjects = [
    "{PORTAL}",  # Citizen portal
    "admins",  # local group
]

[clients.services.listPersons]
subjects = []

[clients.services.personsApi.endpoints."get /persons/{{id}}"]
subjects = ["{CRM}", "{OWNERS}"]
'''


def sample() -> RightsDocument:
    document = RightsDocument()
    document.set(Target(CLIENT, "getPerson.v1"), ["admins", PORTAL, OWNERS])
    document.set(Target(CLIENT, "listPersons.v1"), [])
    document.set(Target(CLIENT, "personsApi"), [CRM])
    document.set(Target(CLIENT, "personsApi", "GET /persons/{id}"), [PORTAL])
    document.set(Target(CLIENT, "personsApi", "DELETE /persons/{id}"), ["admins"])
    document.set(Target("SANDBOX-KG:GOV:70000001:archive", "fetch"), [CRM])
    document.names[(CLIENT, PORTAL)] = "Citizen portal"
    document.names[(CLIENT, CRM)] = "=HYPERLINK(\"x\")"  # a name a spreadsheet must not run
    document.titles[Target(CLIENT, "getPerson.v1")] = "Get a person\nby id"
    return document


def failure(text: str, parse=parse_toml, source: str = "rights.toml") -> RightsFileError:
    with pytest.raises(RightsFileError) as caught:
        parse(text, source)
    assert isinstance(caught.value, KapkaError) and caught.value.exit_code == 2
    return caught.value


def test_toml_reads_services_endpoints_and_empty_lists() -> None:
    document = parse_toml(GOOD, "rights.toml")
    assert document.rights == {
        Target(CLIENT, "getPerson.v1"): {PORTAL, "admins"},
        Target(CLIENT, "listPersons"): frozenset(),
        Target(CLIENT, "personsApi", "GET /persons/{id}"): {CRM, OWNERS},  # method upper-cased
    }
    assert document.right_count == 4
    assert str(document.where(Target(CLIENT, "getPerson.v1"), "admins")) == "rights.toml:9:5"
    assert str(document.where(Target(CLIENT, "listPersons"))) == "rights.toml:12:19"
    assert str(document.where(Target(CLIENT, ""))) == "rights.toml:4:6"


def test_toml_export_is_stable_sorted_commented_and_reads_back() -> None:
    document = sample()
    text = dump_toml(document, ["Access rights of a test server"])
    assert text == dump_toml(sample(), ["Access rights of a test server"])
    assert text.startswith("# Access rights of a test server\nversion = 1\n")
    assert '[clients.services."getPerson.v1"]  # Get a person by id' in text
    assert f'    "{PORTAL}",  # Citizen portal' in text
    assert "subjects = []" in text
    # subsystems, then global groups, then local groups; endpoints by path then method
    assert text.index(PORTAL) < text.index(OWNERS) < text.index('"admins"')
    assert text.index('endpoints."GET /persons/{id}"') < text.index('endpoints."DELETE /persons/{id}"')
    assert text.index("archive") < text.index("registry")  # clients sorted
    assert tomllib.loads(text)["version"] == 1
    again = parse_toml(text, "x.toml")
    assert again.rights == document.rights


def test_csv_export_reads_back_and_keeps_formulas_out() -> None:
    document = sample()
    text = dump_csv(document)
    lines = text.splitlines()
    assert lines[0] == "client,service,endpoint,subject,name"
    assert f"{CLIENT},listPersons.v1,,," in lines  # a service with nobody allowed
    assert f"{CLIENT},getPerson.v1,,{PORTAL},Citizen portal" in lines
    assert f"{CLIENT},personsApi,,{CRM},\"'=HYPERLINK(\"\"x\"\")\"" in lines
    again = parse_csv(text, "r.csv")
    assert again.rights == document.rights
    assert again.name(CLIENT, CRM) == "=HYPERLINK(\"x\")"


def test_csv_from_a_spreadsheet_semicolons_bom_crlf_and_quotes() -> None:
    text = ("\ufeffClient;Service;Subject\r\n"
            f"{CLIENT};getPerson.v1;{PORTAL}\r\n"
            "\r\n"
            f"\"{CLIENT}\";\"getPerson.v1\";\"admins\"\r\n")
    document = parse_csv(text, "r.csv")
    assert document.rights == {Target(CLIENT, "getPerson.v1"): {PORTAL, "admins"}}
    assert str(document.where(Target(CLIENT, "getPerson.v1"), "admins")) == "r.csv:4:51"


def test_unknown_key_with_a_suggestion_and_its_place() -> None:
    text = GOOD.replace("[clients.services.listPersons]", "[clients.servces.listPersons]")
    error = failure(text)
    assert error.message == "rights.toml:12:10: unknown key “servces” — did you mean “services”?"
    assert (error.file, error.line, error.column) == ("rights.toml", 12, 10)
    text = GOOD.replace("subjects = []", "    subjetcs = []")
    assert failure(text).message == ("rights.toml:13:5: unknown key “subjetcs” — did you mean "
                                     "“subjects”?")
    assert "allowed here: version, clients" in failure("colour = 1\n").message


def test_subject_mistakes_each_at_its_place() -> None:
    text = GOOD.replace('"admins",  # local group',
                        '"SANDBOX-KG:GOV:70000002",\n    "A:B:C:D:E",\n    7,\n    "' + PORTAL + '",')
    error = failure(text)
    lines = error.message.splitlines()
    assert lines[0].startswith("rights.toml:9:5: “SANDBOX-KG:GOV:70000002” is a member")
    assert "Give one of its subsystems" in lines[0]
    assert lines[1].startswith("rights.toml:10:5: “A:B:C:D:E” is not a subject")
    assert lines[2] == "rights.toml:11:5: a subject must be a string in quotes"
    assert lines[3] == (f"rights.toml:12:5: subject {PORTAL} is listed twice for getPerson.v1 "
                        "(first at line 8, column 5)")
    assert len(error.problems) == 4


def test_service_code_with_a_colon_client_id_and_structure_mistakes() -> None:
    text = GOOD.replace('"getPerson.v1"', '"registry:getPerson.v1"')
    assert failure(text).message.startswith(
        "rights.toml:6:19: service code “registry:getPerson.v1” contains “:”")
    assert "is not a client id" in failure(GOOD.replace(CLIENT, "SANDBOX-KG:GOV")).message
    assert "needs an id" in failure("[[clients]]\n[clients.services.a]\nsubjects = []\n").message
    twice = GOOD + f'\n[[clients]]\nid = "{CLIENT}"\n'
    assert failure(twice).message == (f"rights.toml:19:6: client {CLIENT} is listed twice (first at "
                                      "line 4, column 6)")
    assert "“* **” is the whole service" in failure(
        GOOD.replace("get /persons/{id}", "* **")).message
    assert "is not an endpoint" in failure(GOOD.replace("get /persons/{id}", "FETCH /x")).message
    assert "must be a list of strings" in failure(GOOD.replace("subjects = []", 'subjects = "x"')).message
    assert "version 2" in failure(GOOD.replace("version = 1", "version = 2")).message
    assert failure(GOOD.replace("version = 1", 'version = "1"')).message == (
        "rights.toml:1:11: version must be a number: version = 1")


def test_toml_syntax_error_position() -> None:
    error = failure('version = 1\n\n[[clients]\nid = "x"\n')
    assert error.message.startswith("rights.toml:3:10: not valid TOML:")
    assert failure('version = 1\nclients = [\n').line == 2


def test_csv_mistakes_name_line_and_column_of_the_cell() -> None:
    text = ("client,service,endpoint,subject\n"
            f"{CLIENT},get:Person,,{PORTAL}\n"
            f"{CLIENT},getPerson,,SANDBOX-KG:GOV:70000002\n"
            f"{CLIENT},getPerson,,{PORTAL}\n"
            f"{CLIENT},getPerson,,{PORTAL}\n"
            f"{CLIENT},getPerson\n"
            f"{CLIENT},getPerson,GET,{PORTAL}\n")
    error = failure(text, parse_csv, "r.csv")
    lines = error.message.splitlines()
    assert lines[0].startswith("r.csv:2:34: service code “get:Person” contains “:”")
    assert lines[1].startswith("r.csv:3:45: “SANDBOX-KG:GOV:70000002” is a member")
    assert lines[2] == (f"r.csv:5:1: duplicate row: {PORTAL} for getPerson is on line 4 already")
    assert lines[3] == "r.csv:6:1: this row has 2 cells; the header has 4"
    assert lines[4].startswith("r.csv:7:44: “GET” is not an endpoint")
    header = failure("client,service,subjet\n", parse_csv, "r.csv")
    assert header.message.splitlines()[1] == ("r.csv:1:16: unknown column “subjet” — did you mean "
                                              "“subject”?")
    assert "lacks the column(s) subject" in header.message
    assert "is empty" in failure("\n\n", parse_csv, "r.csv").message
    unclosed = failure(f'client,service,subject\n{CLIENT},"getPerson,x\n', parse_csv, "r.csv")
    assert unclosed.message.startswith("r.csv:2:34: a quoted cell is not closed")


def test_files_on_disk(tmp_path: Path) -> None:
    toml_file = tmp_path / "rights.toml"
    toml_file.write_text(GOOD, encoding="utf-8")
    assert load_rights(toml_file).right_count == 4
    csv_file = tmp_path / "rights.CSV"
    csv_file.write_text(dump_csv(sample()), encoding="utf-8")
    assert load_rights(csv_file).rights == sample().rights
    assert format_for("x.txt") == "toml" and format_for("x.txt", "csv") == "csv"
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'version = 1\n# caf\xe9\n')
    with pytest.raises(RightsFileError) as caught:
        load_rights(latin)
    assert caught.value.message.startswith(f"{latin}:2:6: not UTF-8 text (byte 0xE9)")
    with pytest.raises(RightsFileUnreadable) as missing:
        load_rights(tmp_path / "none.toml")
    assert missing.value.exit_code == 2
