"""The CLI contract: exit codes and messages on the failure paths a user can hit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ortif_cli.dicom.sample import write_sample_study
from ortif_cli.localserver import free_port
from tests.conftest import EXPERT, REQUESTER, Ortif, use_keyring

TO_EXPERT = "CHU Lyon/Neuroradiologie/MARTIN"
PATIENT = [
    "--patient-name",
    "LEFÈVRE",
    "--patient-id",
    "PID-C1",
    "--patient-birth-date",
    "1970-02-14",
]


def test_wrong_password_exits_3(ortif: Ortif) -> None:
    result = ortif("login", "--username", REQUESTER.username, "--password-stdin", input="nope\n")
    assert result.exit_code == 3
    assert result.stderr.startswith("ortif: error:")


def test_server_down_exits_7() -> None:
    result = Ortif(f"http://127.0.0.1:{free_port()}")(
        "login", "--username", "x", "--password-stdin", input="y\n"
    )
    assert result.exit_code == 7
    assert "Cannot reach the platform" in result.stderr


def test_not_signed_in_exits_3(ortif: Ortif) -> None:
    result = ortif("dossier", "list")
    assert result.exit_code == 3
    assert "ortif login" in result.stderr


def test_token_from_environment(ortif: Ortif, monkeypatch: pytest.MonkeyPatch) -> None:
    from ortif_cli.api.client import PlatformClient

    assert ortif.server
    with PlatformClient(ortif.server) as client:
        token = client.login(EXPERT.username, EXPERT.password).access_token
    monkeypatch.setenv("ORTIF_TOKEN", token)
    use_keyring(monkeypatch, "keyring.backends.fail.Keyring")
    result = ortif("--json", "whoami")
    assert result.exit_code == 0, result.stderr
    assert result.json()["user"]["username"] == EXPERT.username


def test_no_secure_keyring_refuses_login(ortif: Ortif, monkeypatch: pytest.MonkeyPatch) -> None:
    use_keyring(monkeypatch, "keyring.backends.fail.Keyring")
    result = ortif(
        "login", "--username", EXPERT.username, "--password-stdin", input=EXPERT.password + "\n"
    )
    assert result.exit_code == 3
    assert "ORTIF_TOKEN" in result.stderr


def test_missing_option_under_no_input_exits_2(ortif: Ortif) -> None:
    ortif.login(REQUESTER)
    result = ortif("--no-input", "dossier", "create", "--to", TO_EXPERT, "--patient-id", "X")
    assert result.exit_code == 2
    assert "--patient-name" in result.stderr


def test_ack_without_yes_under_no_input_exits_2(ortif: Ortif) -> None:
    ortif.login(EXPERT)
    result = ortif("--no-input", "ack", "1")
    assert result.exit_code == 2
    assert "--yes" in result.stderr


def test_unknown_dossier_exits_5(ortif: Ortif) -> None:
    ortif.login(REQUESTER)
    result = ortif("dossier", "show", "999999")
    assert result.exit_code == 5


def test_unknown_correspondent_lists_candidates(ortif: Ortif) -> None:
    ortif.login(REQUESTER)
    result = ortif("dossier", "create", "--to", "CHU Lyon/Neuroradiologie/NOBODY", *PATIENT)
    assert result.exit_code == 5
    assert "MARTIN Pierre (pmartin)" in result.stderr


def test_bad_birth_date_exits_2(ortif: Ortif) -> None:
    ortif.login(REQUESTER)
    result = ortif(
        "dossier",
        "create",
        "--to",
        TO_EXPERT,
        "--patient-name",
        "X",
        "--patient-id",
        "Y",
        "--patient-birth-date",
        "31/02/1970",
    )
    assert result.exit_code == 2
    assert "dd/mm/yyyy" in result.stderr


def test_identity_mismatch_stops_before_upload(ortif: Ortif, tmp_path: Path) -> None:
    study = write_sample_study(
        tmp_path / "cd", patient_name="MARTIN^Paul", patient_id="PID-C1", birth_date="19700214"
    )
    ortif.login(REQUESTER)
    result = ortif(
        "dossier", "create", "--to", TO_EXPERT, *PATIENT, "--exam-dir", str(tmp_path / "cd")
    )
    assert result.exit_code == 6, result.stderr
    assert re.search(r"Last name\s+LEFÈVRE\s+≠ MARTIN", result.stderr), result.stderr
    assert re.search(r"Born\s+1970-02-14\s+1970-02-14", result.stderr), result.stderr
    assert "last_name" not in result.stderr
    listed = ortif("--json", "dossier", "list")
    assert all(d["patient"]["identifier"] != "PID-C1" for d in listed.json()["items"])
    from ortif_cli.api.client import PlatformClient

    assert ortif.server
    with PlatformClient(ortif.server) as anonymous:
        token = anonymous.login(REQUESTER.username, REQUESTER.password).access_token
    with PlatformClient(ortif.server, token) as client:
        assert client.lookup_instances(study.sop_instance_uids) == {}


def test_broken_config_file_exits_2(ortif: Ortif, isolated_env: Path) -> None:
    config = isolated_env / "config" / "ortif" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[profiles.default\nserver = 1\n")
    result = Ortif()("dossier", "list")
    assert result.exit_code == 2
    assert str(config) in result.stderr and "line 1" in result.stderr


def test_upload_resumes_and_sends_nothing_twice(ortif: Ortif, tmp_path: Path) -> None:
    write_sample_study(
        tmp_path / "cd", patient_name="LEFÈVRE^Hélène", patient_id="PID-C1", birth_date="19700214"
    )
    ortif.login(REQUESTER)
    first = ortif(
        "--json",
        "dossier",
        "create",
        "--to",
        TO_EXPERT,
        *PATIENT,
        "--exam-dir",
        str(tmp_path / "cd"),
    )
    assert first.exit_code == 0, first.stderr
    again = ortif("--json", "exam", "add", str(first.json()["id"]), "--dir", str(tmp_path / "cd"))
    assert again.exit_code == 0, again.stderr
    assert again.json()["sent"] == 0
    assert again.json()["already_present"] == 6
    shown = ortif("--json", "dossier", "show", str(first.json()["id"]))
    assert len(shown.json()["steps"][0]["exams"]) == 1


def test_plaintext_keyring_is_never_a_silent_fallback(
    ortif: Ortif, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    keyring.set_keyring(PlaintextKeyring())
    result = ortif(
        "login", "--username", EXPERT.username, "--password-stdin", input=EXPERT.password + "\n"
    )
    assert result.exit_code == 3
    assert "No secure keyring" in result.stderr
