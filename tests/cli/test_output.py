"""Output rules: --json on every command, the rows renderer, -v traces, bug reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest

from ortif_cli.api.client import PlatformClient
from ortif_cli.ui.console import Output
from ortif_cli.ui.rows import Column, RowFormat, render_rows
from tests.conftest import EXPERT, REQUESTER, Ortif


@dataclass
class Thing:
    id: int
    name: str
    day: date | None
    at: datetime
    done: bool


UTC = timezone.utc
THINGS = [
    Thing(1, "Lefèvre, Hélène", date(1970, 2, 14), datetime(2026, 1, 2, 3, 4, tzinfo=UTC), True),
    Thing(2, "[bold]x[/bold]", None, datetime(2026, 1, 3, tzinfo=UTC), False),
]
COLUMNS: list[Column[Thing]] = [
    Column("id", "id", lambda t: t.id),
    Column("name", "name", lambda t: t.name),
    Column("day", "day", lambda t: t.day),
    Column("at", "when", lambda t: t.at),
    Column("done", "done", lambda t: t.done),
]


def render(capsys: pytest.CaptureFixture[str], output: Output, fmt: RowFormat) -> str:
    render_rows(
        output, COLUMNS, THINGS, row_format=fmt,
        json_document={"items": [t.id for t in THINGS]}, row_id=lambda t: t.id,
    )  # fmt: skip
    return capsys.readouterr().out


def test_rows_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    output = Output()
    assert render(capsys, output, RowFormat.IDS) == "1\n2\n"
    assert json.loads(render(capsys, output, RowFormat.JSON)) == {"items": [1, 2]}
    assert render(capsys, output, RowFormat.CSV).splitlines() == [
        "id,name,day,at,done",
        '1,"Lefèvre, Hélène",1970-02-14,2026-01-02T03:04:00+00:00,true',
        "2,[bold]x[/bold],,2026-01-03T00:00:00+00:00,false",
    ]
    table = render(capsys, output, RowFormat.TABLE)
    assert "Lefèvre, Hélène" in table and "1970-02-14" in table
    assert "[bold]x[/bold]" in table and "\x1b[" not in table


def test_row_format_pick() -> None:
    from ortif_cli.errors import UsageError

    assert RowFormat.pick(Output()) is RowFormat.TABLE
    assert RowFormat.pick(Output(), csv=True) is RowFormat.CSV
    assert RowFormat.pick(Output(quiet=True)) is RowFormat.IDS
    assert RowFormat.pick(Output(json_mode=True)) is RowFormat.JSON
    with pytest.raises(UsageError):
        RowFormat.pick(Output(json_mode=True), csv=True)


def test_json_of_every_session_command(ortif: Ortif) -> None:
    """One JSON document on stdout, nothing else, for each command of this issue."""
    ortif.login(REQUESTER)
    token_id = ortif("--json", "token", "create", "--name", "j").json()["id"]
    commands = [
        ["whoami"],
        ["token", "list"],
        ["token", "revoke", str(token_id)],
        ["config", "show"],
        ["config", "set", "timeout", "20"],
        ["directory", "search", "lyon"],
        ["dossier", "list"],
        ["notifications"],
        ["logout"],
    ]
    for command in commands:
        result = ortif("--json", *command)
        assert result.exit_code == 0, (command, result.stderr)
        assert isinstance(result.json(), dict), command


def test_verbose_trace_redacts_secrets(ortif: Ortif) -> None:
    result = ortif(
        "-v", "login", "--username", EXPERT.username, "--password-stdin",
        input=EXPERT.password + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "> POST " in result.stderr and "/api/v1/session" in result.stderr
    assert "< 200 OK" in result.stderr
    assert EXPERT.password not in result.stderr
    assert '"password": "[redacted]"' in result.stderr
    assert '"access_token": "[redacted]"' in result.stderr
    who = ortif("-v", "whoami")
    assert "authorization: [redacted]" in who.stderr.lower()
    assert "Bearer" not in who.stderr


def test_trace_redacts_patient_fields(ortif: Ortif) -> None:
    assert ortif.server
    lines: list[str] = []
    with PlatformClient(ortif.server) as anonymous:
        token = anonymous.login(REQUESTER.username, REQUESTER.password).access_token
    with PlatformClient(ortif.server, token, trace=lines.append) as client:
        expert = client.search_directory("MARTIN").professionals[0].user
        client.create_dossier(
            {
                "type": "imaging-transfer",
                "visibility": "me",
                "correspondents": [{"kind": "user", "id": expert.id}],
                "patient": {"last_name": "SECRETNAME", "identifier": "SECRET-ID-9",
                            "birth_date": "1970-02-14"},
            }
        )  # fmt: skip
        client.list_dossiers(patient="SECRETNAME")
    trace = "\n".join(lines)
    assert "/api/v1/dossiers" in trace and "patient=[redacted]" in trace
    for secret in ("SECRETNAME", "SECRET-ID-9", "1970-02-14", token):
        assert secret not in trace


def test_unexpected_error_points_to_a_report(ortif: Ortif, monkeypatch: pytest.MonkeyPatch) -> None:
    ortif.login(REQUESTER)

    def broken(self: PlatformClient) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(PlatformClient, "session_info", broken)
    quiet = ortif("whoami")
    assert quiet.exit_code == 1
    assert "This is a bug" in quiet.stderr and "report" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    loud = ortif("-v", "whoami")
    assert loud.exit_code == 1
    assert "Traceback" in loud.stderr and "RuntimeError: boom" in loud.stderr


def test_no_colour_codes_when_not_a_terminal(ortif: Ortif, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    ortif.login(REQUESTER)
    for args in (("whoami",), ("token", "list"), ("dossier", "show", "999999")):
        result = ortif(*args)
        assert "\x1b[" not in result.stdout + result.stderr
