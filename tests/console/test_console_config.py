from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from console import paths
from console.config import Config, ConfigError, Profile, normalize_fingerprint, validate_url
from console.filekeyring import ScryptParams
from console.secrets import SecretStore

FINGERPRINT = ":".join(["AB"] * 32)

HAND_WRITTEN = """\
# my own notes about this console
default_profile = "prod"  # the one I use most
theme = "kapka-light"

[keymap]
# faster refresh
"dashboard.refresh" = "f5"

# production, Bishkek
[profiles.prod]
url = "https://ss1.example.kg:4000"  # primary node
trust = "file"
certificate = "/etc/xroad/ssl/proxy-ui-api.crt"
api_key_ref = "prod-admin"

[profiles.test]
url = "https://ss-test.example.kg:4000"
read_only = true
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    config = Config.load(tmp_path / "none.toml")
    assert config.profiles == {}
    assert config.default_profile is None
    assert config.theme == "kapka-dark"
    assert config.language is None
    assert config.read_only is False
    assert config.keymap == {}
    assert config.profile() is None


def test_default_location(isolated_home: Path) -> None:
    assert Config.load().path == paths.config_path()


def test_reads_a_hand_written_file(tmp_path: Path) -> None:
    config = Config.load(write(tmp_path / "c.toml", HAND_WRITTEN))
    assert config.default_profile == "prod"
    assert config.theme == "kapka-light"
    assert config.keymap == {"dashboard.refresh": "f5"}
    prod = config.profile()
    assert prod == Profile(
        name="prod",
        url="https://ss1.example.kg:4000",
        trust="file",
        certificate="/etc/xroad/ssl/proxy-ui-api.crt",
        api_key_ref="prod-admin",
    )
    test = config.profile("test")
    assert test is not None and test.read_only and test.trust == "pinned"
    assert config.read_only_for(test) and not config.read_only_for(prod)


def test_round_trip_keeps_comments_and_order(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", HAND_WRITTEN)
    config = Config.load(path)
    config.save()
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN


def test_changes_keep_comments_and_no_secret_appears(
    tmp_path: Path, fast_kdf: ScryptParams
) -> None:
    path = write(tmp_path / "c.toml", HAND_WRITTEN)
    config = Config.load(path)
    api_key = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    store = SecretStore(tmp_path / "secrets.kapka", prefer="file", kdf=fast_kdf)
    store.unlock("correct horse")
    store.set_api_key("new-admin", api_key)
    config.upsert_profile(Profile(name="new", url="https://ss2.example.kg:4000",
                                  fingerprint=FINGERPRINT.lower(), api_key_ref="new-admin"))
    config.set_default("new")
    config.remove_profile("test")
    config.keymap["help.show"] = "f1"
    config.language = "ky"
    config.save()

    text = path.read_text(encoding="utf-8")
    assert "# primary node" in text and "# the one I use most" in text
    assert "[profiles.test]" not in text
    assert api_key not in text and "correct horse" not in text
    reloaded = Config.load(path)
    assert reloaded.default_profile == "new"
    assert reloaded.language == "ky"
    assert reloaded.keymap == {"dashboard.refresh": "f5", "help.show": "f1"}
    assert reloaded.profile("new") == Profile(
        name="new", url="https://ss2.example.kg:4000", fingerprint=FINGERPRINT,
        api_key_ref="new-admin",
    )
    assert list(reloaded.profiles) == ["prod", "new"]


def test_new_file_layout_and_permissions(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "kapka" / "config.toml"
    config = Config.load(path)
    config.upsert_profile(Profile(name="prod", url="https://ss1.example.kg:4000"))
    config.save()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Kapka configuration")
    order = [text.index(marker) for marker in
             ("default_profile", "theme", "read_only", "[keymap]", "[profiles.prod]")]
    assert order == sorted(order)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert Config.load(path).profile() == config.profile("prod")  # first profile is the default


def test_save_replaces_a_loose_file_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", HAND_WRITTEN)
    os.chmod(path, 0o644)
    Config.load(path).save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_dumps_does_not_change_the_loaded_document(tmp_path: Path) -> None:
    config = Config.load(write(tmp_path / "c.toml", HAND_WRITTEN))
    config.theme = "other"
    assert 'theme = "other"' in config.dumps()
    config.theme = "kapka-light"
    assert 'theme = "kapka-light"' in config.dumps()


def test_invalid_toml_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", 'theme = "x"\nread_only = \n')
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    message = caught.value.message
    assert str(path) in message
    assert "line 2, column 13" in message  # 1-based, as editors count
    assert "editor" in message


def test_duplicate_key_is_a_parse_error(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", 'theme = "a"\ntheme = "b"\n')
    with pytest.raises(ConfigError, match="line 2"):
        Config.load(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", b'theme = "\xff"\n')
    with pytest.raises(ConfigError, match="UTF-8"):
        Config.load(path)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "c.toml").mkdir()
    with pytest.raises(ConfigError, match="directory"):
        Config.load(tmp_path / "c.toml")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "c.toml", HAND_WRITTEN)

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)  # chmod 0 does not stop root
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    assert str(path) in caught.value.message
    assert "chmod 600" in caught.value.message and "KAPKA_CONFIG" in caught.value.message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("read_only = 1\n", "read_only"),
        ("theme = 3\n", "theme"),
        ("keymap = 3\n", "keymap"),
        ('[keymap]\n"a.b" = 1\n', "keymap.a.b"),
        ('[profiles.p]\nurl = "https://h:4000"\nread_only = "yes"\n', "profiles.p.read_only"),
        ('[profiles.p]\nurl = 4000\n', "profiles.p.url"),
        ('profiles = "p"\n', "profiles"),
    ],
)
def test_wrong_types_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.load(write(tmp_path / "c.toml", text))
    assert f"“{key}”" in caught.value.message


def test_unknown_trust_value(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[profiles.p]\nurl = "https://h:4000"\ntrust = "always"\n')
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    assert "[profiles.p]" in caught.value.message and "always" in caught.value.message


def test_unknown_profile_setting_and_missing_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fingerprnt"):
        Config.load(write(tmp_path / "a.toml", '[profiles.p]\nurl = "https://h"\nfingerprnt = "x"\n'))
    with pytest.raises(ConfigError, match="has no “url”"):
        Config.load(write(tmp_path / "b.toml", '[profiles.p]\ntrust = "pinned"\n'))


def test_default_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="default_profile"):
        Config.load(write(tmp_path / "c.toml", 'default_profile = "gone"\n'))


@pytest.mark.parametrize("text", [
    '[profiles.p]\nurl = "https://h:4000"\napi_key = "0f1e2d3c"\n',
    '[profiles.p]\nurl = "https://h:4000"\npassword = "hunter2"\n',
    'token = "abc"\n',
    '[extra]\nsecret = "abc"\n',
])
def test_secrets_in_the_file_are_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="looks like a secret") as caught:
        Config.load(write(tmp_path / "c.toml", text))
    assert "hunter2" not in caught.value.message and "abc" not in caught.value.message


def test_profile_names_are_not_mistaken_for_secrets(tmp_path: Path) -> None:
    config = Config.load(write(tmp_path / "c.toml", '[profiles.token]\nurl = "https://h:4000"\n'))
    assert config.profile("token") is not None
    config.save()


def test_fields_changed_after_construction_are_checked_on_save(tmp_path: Path) -> None:
    config = Config(path=tmp_path / "c.toml")
    profile = Profile(name="p", url="https://h:4000")
    config.upsert_profile(profile)
    profile.url = "http://h:4000"
    with pytest.raises(ConfigError, match="plain HTTP"):
        config.save()
    assert not config.path.exists()


def test_unknown_top_level_settings_survive(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", 'future_setting = 1\n\n[future]\nx = "y"\n')
    config = Config.load(path)
    config.theme = "kapka-light"
    config.save()
    text = path.read_text(encoding="utf-8")
    assert "future_setting = 1" in text and '[future]\nx = "y"' in text


def test_http_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ConfigError) as caught:
        Profile(name="p", url="http://ss1.example.kg:4000")
    assert "HTTPS" in caught.value.message and "https://" in caught.value.message


@pytest.mark.parametrize("url", [
    "ss1.example.kg:4000", "ftp://ss1", "https://", "https://h:99999", "https://h:4000/?x=1",
    "https://h#frag", " https://h",
])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="https://host:port"):
        validate_url(url)


def test_url_with_credentials_is_refused_without_repeating_them() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_url("https://admin:hunter2@ss1.example.kg:4000")
    assert "hunter2" not in caught.value.message
    assert "https://ss1.example.kg:4000" in caught.value.message


@pytest.mark.parametrize("url", [
    "https://ss1.example.kg:4000", "https://10.0.0.5:4000/api/v1", "https://[::1]:4000",
    "https://localhost",
])
def test_good_urls(url: str) -> None:
    assert validate_url(url) == url


@pytest.mark.parametrize("name", ["", "a b", "-x", "x/y", "a.b", "ы", "x" * 65])
def test_bad_profile_names(name: str) -> None:
    with pytest.raises(ConfigError, match="profile name"):
        Profile(name=name, url="https://h:4000")


def test_profile_rules() -> None:
    with pytest.raises(ConfigError, match="names none"):
        Profile(name="p", url="https://h:4000", trust="file")
    with pytest.raises(ConfigError, match="not a SHA-256 fingerprint"):
        Profile(name="p", url="https://h:4000", fingerprint="AB:CD")
    with pytest.raises(ConfigError, match="cannot name an API key"):
        Profile(name="p", url="https://h:4000", api_key_ref="has space")
    assert normalize_fingerprint("ab" * 32) == FINGERPRINT


def test_profile_crud(tmp_path: Path) -> None:
    config = Config.load(tmp_path / "c.toml")
    a = Profile(name="a", url="https://a:4000")
    b = Profile(name="b", url="https://b:4000", read_only=True)
    config.upsert_profile(a)
    config.upsert_profile(b)
    assert config.default_profile == "a"
    config.set_default("b")
    assert config.profile() is b
    changed = Profile(name="b", url="https://b2:4000")
    config.upsert_profile(changed)
    assert config.profile("b") is changed and list(config.profiles) == ["a", "b"]
    config.remove_profile("b")
    assert config.default_profile is None and config.profile() is None
    with pytest.raises(ConfigError, match="no profile named"):
        config.remove_profile("b")
    with pytest.raises(ConfigError, match="no profile named"):
        config.set_default("zzz")
    config.set_default(None)
    config.save()
    assert list(Config.load(config.path).profiles) == ["a"]


def test_save_failure_is_a_config_error(tmp_path: Path) -> None:
    blocker = write(tmp_path / "file", "not a directory")
    config = Config(path=blocker / "config.toml")
    with pytest.raises(ConfigError, match="not saved"):
        config.save()


def test_no_secret_field_exists() -> None:
    fields = set(Profile.__dataclass_fields__)
    assert fields == {"name", "url", "trust", "certificate", "fingerprint", "api_key_ref",
                      "read_only", "username"}
