"""Profiles and settings: `ortif config show|set`, ORTIF_PROFILE, broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REQUESTER, Ortif


def config_file(home: Path) -> Path:
    return home / "config" / "ortif" / "config.toml"


def test_set_and_show(isolated_env: Path) -> None:
    ortif = Ortif()
    assert ortif("config", "set", "server", "https://ortif.example.org/").exit_code == 0
    assert ortif("config", "set", "timeout", "12.5").exit_code == 0
    assert ortif("--json", "config", "set", "default_pacs", "pacs1").json() == {
        "profile": "default",
        "key": "default_pacs",
        "value": "pacs1",
    }
    shown = ortif("--json", "config", "show").json()
    assert shown["path"] == str(config_file(isolated_env))
    assert shown["settings"] == {
        "server": "https://ortif.example.org",
        "username": None,
        "ca_bundle": None,
        "timeout": 12.5,
        "connect_timeout": 10.0,
        "default_pacs": "pacs1",
    }
    human = ortif("config", "show")
    assert "server = 'https://ortif.example.org'" in human.stdout
    assert "[profiles.default]" in human.stdout
    text = config_file(isolated_env).read_text()
    assert "timeout = 12.5" in text and "connect_timeout" not in text
    assert config_file(isolated_env).stat().st_mode & 0o777 == 0o600


def test_profiles_from_option_and_environment(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ortif = Ortif()
    ortif("--profile", "night", "config", "set", "server", "https://night.example.org")
    monkeypatch.setenv("ORTIF_PROFILE", "night")
    shown = ortif("--json", "config", "show").json()
    assert shown["profile"] == "night"
    assert shown["settings"]["server"] == "https://night.example.org"
    assert shown["profiles"] == ["night"]


def test_unknown_key_and_bad_value_exit_2(isolated_env: Path) -> None:
    ortif = Ortif()
    unknown = ortif("config", "set", "colour", "blue")
    assert unknown.exit_code == 2 and "colour is not a setting" in unknown.stderr
    assert "ca_bundle" in unknown.stderr
    bad = ortif("config", "set", "timeout", "soon")
    assert bad.exit_code == 2 and "timeout" in bad.stderr
    url = ortif("config", "set", "server", "ortif.example.org")
    assert url.exit_code == 2 and "http(s)" in url.stderr


def test_secrets_are_never_shown(ortif: Ortif, isolated_env: Path) -> None:
    ortif.login(REQUESTER)
    from ortif_cli.credentials import load_session

    assert ortif.server
    stored = load_session("default", ortif.server)
    assert stored and stored.refresh_token
    for args in (("config", "show"), ("--json", "config", "show")):
        out = ortif(*args).stdout
        assert stored.access_token not in out and stored.refresh_token not in out
    text = config_file(isolated_env).read_text()
    assert stored.access_token not in text and "token" not in text


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("[profiles.default\nserver = 1\n", "1"),
        ('[profiles.default]\nserver = "https://a.example"\ntimeout = "slow"\n', "3"),
        ('[profiles.default]\n\nserver = "ftp://nope"\n', "3"),
    ],
)
def test_broken_file_names_path_and_line(isolated_env: Path, content: str, line: str) -> None:
    path = config_file(isolated_env)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    result = Ortif()("config", "show")
    assert result.exit_code == 2
    assert f"{path} is broken at line {line}" in result.stderr


def test_timeouts_and_ca_bundle_reach_the_client(isolated_env: Path, tmp_path: Path) -> None:
    import trustme

    from ortif_cli.cli.context import AppContext
    from ortif_cli.ui.console import Output

    bundle = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    ortif = Ortif()
    for key, value in (("timeout", "5"), ("connect_timeout", "2"), ("ca_bundle", str(bundle))):
        assert ortif("config", "set", key, value).exit_code == 0
    context = AppContext(Output(), server_option="https://ortif.example.org")
    with context.client(signed_in=False) as client:
        timeout = client.http.timeout
    assert (timeout.read, timeout.connect) == (5.0, 2.0)
    assert context.profile.ca_bundle == str(bundle.resolve())
