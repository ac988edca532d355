"""`ortif-server init`, `user add` and `serve` refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ortif_server.cli import app
from ortif_server.models import Community, User
from ortif_server.security import verify_password
from tests.conftest import PATIENCE

runner = CliRunner()


def _add(data: Path, *args: str, password: str | None = "pw\n") -> tuple[int, str]:
    command = ["user", "add", "--data", str(data), "--username", "zoe", *args]
    if password is not None:
        command.append("--password-stdin")
    result = runner.invoke(app, command, input=password)
    return result.exit_code, result.output


def _user(data: Path) -> tuple[User, list[str]]:
    engine = create_engine(f"sqlite:///{data / 'ortif.db'}")
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == "zoe")).one()
        communities = [c.name for c in user.communities]
        _ = [c.establishment.name for c in session.scalars(select(Community))]
    engine.dispose()
    return user, communities


def test_init_is_idempotent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for _ in range(2):
        result = runner.invoke(app, ["init", "--data", str(data)])
        assert result.exit_code == 0, result.output
    assert (data / "blobs").is_dir() and (data / "tmp").is_dir() and (data / "ortif.db").is_file()


def test_user_add_creates_then_adds_communities(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner.invoke(app, ["init", "--data", str(data)])
    names = ["--last-name", "ZOLA", "--first-name", "Zoé", "--establishment", "CHU"]
    assert _add(data, *names, "--community", "A", "--community", "B")[0] == 0
    assert _add(data, "--establishment", "CHU", "--community", "C", password=None)[0] == 0
    user, communities = _user(data)
    assert communities == ["A", "B", "C"]
    assert user.first_name == "Zoé"
    assert verify_password(user.password_hash, "pw")
    assert _add(data, password="new password\n")[0] == 0
    assert verify_password(_user(data)[0].password_hash, "new password")


def test_user_add_refusals(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _add(data, "--last-name", "Z", "--first-name", "Z")[0] == 1  # not initialised
    runner.invoke(app, ["init", "--data", str(data)])
    assert _add(data, "--last-name", "Z", "--first-name", "Z", password="\n")[0] == 2
    assert _add(data, "--community", "A")[0] == 2
    assert _add(data, password=None)[0] == 1
    assert runner.invoke(app, ["user", "add", "--data", str(data)]).exit_code == 2


def test_serve_refuses_an_uninitialised_directory(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ortif_server", "serve", "--data", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=PATIENCE,
    )
    assert result.returncode == 2
    assert "not initialised" in result.stderr
    assert result.stdout == ""
