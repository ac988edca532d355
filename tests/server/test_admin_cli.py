"""`ortif-server user add --totp`, `user passwd`, `directory import`."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ortif_server.admin import admin_session
from ortif_server.cli import app
from ortif_server.config import ServerSettings
from ortif_server.models import User
from ortif_server.security import verify_password

runner = CliRunner()
PEOPLE = [
    {
        "username": "zoe",
        "last_name": "ZOLA",
        "first_name": "Zoé",
        "profession": "Radiologue",
        "rpps": "10001234567",
        "enrs_login": "zoe.zola",
        "email": "zoe@example.org",
        "phone": "+33600000001",
        "establishment": "CHU Ouest",
        "communities": ["Imagerie", "Urgences"],
    },
    {"username": "yann", "last_name": "YVON", "first_name": "Yann"},
]
CSV = (
    "username,last_name,first_name,profession,rpps,enrs_login,email,phone,establishment,communities\n"
    "zoe,ZOLA,Zoé,Radiologue,10001234567,zoe.zola,zoe@example.org,+33600000001,CHU Ouest,"
    "Imagerie;Urgences\n"
    "yann,YVON,Yann,,,,,,,\n"
)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    assert runner.invoke(app, ["init", "--data", str(data)]).exit_code == 0
    return data


def _user(data: Path, username: str) -> tuple[User, list[str]]:
    with admin_session(ServerSettings(data)) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return user, [f"{c.establishment.name}/{c.name}" for c in user.communities]


def test_user_add_totp_prints_the_uri_once_on_stdout(data: Path) -> None:
    names = ["--last-name", "T", "--first-name", "T"]
    command = ["user", "add", "--data", str(data), "--username", "tom", *names]
    result = runner.invoke(app, [*command, "--password-stdin", "--totp"], input="pw\n")
    assert result.exit_code == 0, result.output
    uri = result.stdout.strip()
    assert uri.startswith("otpauth://totp/") and "\n" not in uri
    user, _ = _user(data, "tom")
    assert user.totp_secret == pyotp.parse_uri(uri).secret
    assert "otpauth" not in result.stderr


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_directory_import(data: Path, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"people{suffix}"
    source.write_text(json.dumps(PEOPLE) if suffix == ".json" else CSV, encoding="utf-8")
    result = runner.invoke(app, ["directory", "import", "--data", str(data), str(source)])
    assert result.exit_code == 0, result.output
    assert "2 professionals created, 0 updated" in result.stderr
    zoe, communities = _user(data, "zoe")
    assert communities == ["CHU Ouest/Imagerie", "CHU Ouest/Urgences"]
    assert (zoe.rpps, zoe.enrs_login, zoe.phone) == ("10001234567", "zoe.zola", "+33600000001")
    assert zoe.password_hash is None
    again = runner.invoke(app, ["directory", "import", "--data", str(data), str(source)])
    assert "0 professionals created, 2 updated" in again.stderr


def test_directory_import_refuses_bad_files(data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    for content in ("{not json", '{"a": 1}', '[{"username": "x"}]'):
        bad.write_text(content)
        result = runner.invoke(app, ["directory", "import", "--data", str(data), str(bad)])
        assert result.exit_code == 1 and "error" in result.stderr


def test_user_passwd_sets_a_password(data: Path, tmp_path: Path) -> None:
    source = tmp_path / "people.json"
    source.write_text(json.dumps(PEOPLE))
    runner.invoke(app, ["directory", "import", "--data", str(data), str(source)])
    command = ["user", "passwd", "--data", str(data), "--username", "yann"]
    assert runner.invoke(app, command, input="n3w pass\n").exit_code == 0
    assert verify_password(_user(data, "yann")[0].password_hash, "n3w pass")
    assert runner.invoke(app, command, input="\n").exit_code == 2
    unknown = ["user", "passwd", "--data", str(data), "--username", "nobody"]
    assert runner.invoke(app, unknown, input="x\n").exit_code == 1


def test_user_add_rpps_with_or_without_a_password(data: Path) -> None:
    add = ["user", "add", "--data", str(data), "--last-name", "R", "--first-name", "R"]
    both = [*add, "--username", "rose", "--rpps", "10001234567", "--password-stdin"]
    assert runner.invoke(app, both, input="pw\n").exit_code == 0
    rose, _ = _user(data, "rose")
    assert rose.rpps == "10001234567" and verify_password(rose.password_hash, "pw")
    psc_only = [*add, "--username", "remi", "--rpps", "10007654321", "--no-password"]
    assert runner.invoke(app, psc_only).exit_code == 0
    remi, _ = _user(data, "remi")
    assert remi.rpps == "10007654321" and remi.password_hash is None
    drop = ["user", "add", "--data", str(data), "--username", "rose", "--no-password"]
    assert runner.invoke(app, drop).exit_code == 0
    assert _user(data, "rose")[0].password_hash is None


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (["--username", "x", "--no-password"], 1, "needs --rpps"),
        (["--username", "x", "--rpps", "123"], 2, "11 digits"),
        (["--username", "x", "--no-password", "--password-stdin"], 2, "exclude each other"),
        (["--username", "x", "--rpps", "10001234567"], 1, "needs --password-stdin"),
        (["--username", "y", "--rpps", "10001234567", "--no-password"], 1, "already the number"),
    ],
)
def test_user_add_rpps_refusals(data: Path, options: list[str], code: int, message: str) -> None:
    add = ["user", "add", "--data", str(data), "--last-name", "R", "--first-name", "R"]
    first = [*add, "--username", "rose", "--rpps", "10001234567", "--no-password"]
    assert runner.invoke(app, first).exit_code == 0
    result = runner.invoke(app, [*add, *options], input="pw\n")
    assert result.exit_code == code, result.output
    assert message in result.stderr


@pytest.mark.parametrize(
    "options",
    [
        ["--psc-issuer", "http://127.0.0.1:9"],
        ["--psc-client-id", "ortif"],
        ["--psc-issuer", "http://127.0.0.1:9", "--psc-client-id", "x", "--psc-client-secret-file"],
    ],
    ids=["issuer-alone", "client-id-without-issuer", "unreadable-secret"],
)
def test_serve_refuses_an_incomplete_psc_configuration(
    data: Path, tmp_path: Path, options: list[str]
) -> None:
    if options[-1] == "--psc-client-secret-file":
        options = [*options, str(tmp_path / "missing")]
    result = runner.invoke(app, ["serve", "--data", str(data), *options])
    assert result.exit_code == 2
    assert "psc" in result.stderr
