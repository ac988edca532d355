"""Messages in French and English: catalogs, language choice, dates."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from ortif_cli.dates import format_date, format_time
from ortif_cli.dicom.sample import write_sample_study
from ortif_cli.i18n import LOCALE_DIR, current_language
from ortif_cli.localserver import free_port
from tests.conftest import REQUESTER, Ortif

LOCALE_VARS = ("ORTIF_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def lang(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in LOCALE_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_CA"}, "fr"),
        ({"LANG": "fr"}, "fr"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_MESSAGES": "fr_BE.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
        ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "en"),
        ({"LANGUAGE": "fr:en", "LC_ALL": "en_US.UTF-8"}, "fr"),
        ({"ORTIF_LANG": "en", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"ORTIF_LANG": "fr", "LANG": "en_US.UTF-8"}, "fr"),
    ],
)
def test_language_choice(lang: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    for name, value in env.items():
        lang.setenv(name, value)
    assert current_language() == expected


def test_wrong_password_in_both_languages(ortif: Ortif, lang: pytest.MonkeyPatch) -> None:
    args = ("login", "--username", "nobody", "--password-stdin")
    english = ortif(*args, input="nope\n")
    assert english.exit_code == 3
    assert "ortif: error: Wrong username or password." in english.stderr
    lang.setenv("LANG", "fr_FR.UTF-8")
    french = ortif(*args, input="nope\n")
    assert french.exit_code == 3
    assert "ortif: error: Identifiant ou mot de passe incorrect." in french.stderr
    assert "hint: Vérifiez-les" in french.stderr


def test_generic_errors_in_french(lang: pytest.MonkeyPatch) -> None:
    lang.setenv("ORTIF_LANG", "fr")
    down = Ortif(f"http://127.0.0.1:{free_port()}")(
        "login", "--username", "x", "--password-stdin", input="y\n"
    )
    assert down.exit_code == 7
    assert "Impossible de joindre la plateforme" in down.stderr
    missing = Ortif("http://127.0.0.1:1")("--no-input", "login", "--username", "x")
    assert missing.exit_code == 2
    assert "Il manque --password-stdin." in missing.stderr
    not_signed_in = Ortif("http://127.0.0.1:1")("whoami")
    assert not_signed_in.exit_code == 3
    assert "Vous n'êtes pas connecté" in not_signed_in.stderr


TO_OUTSIDER = "Clinique du Parc/Cardiologie/DOE"  # its notifications bother no other test
PATIENT = (
    "--patient-name",
    "LEFÈVRE",
    "--patient-id",
    "PID-FR1",
    "--patient-birth-date",
    "1970-02-14",
)


def test_identity_mismatch_in_french(
    ortif: Ortif, lang: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_sample_study(
        tmp_path / "cd", patient_name="MARTIN^Paul", patient_id="PID-FR1", birth_date="19700214"
    )
    ortif.login(REQUESTER)
    lang.setenv("ORTIF_LANG", "fr")
    result = ortif(
        "dossier", "create", "--to", TO_OUTSIDER, *PATIENT, "--exam-dir", str(tmp_path / "cd")
    )
    assert result.exit_code == 6, result.stderr
    assert "ortif: error: L'étude " in result.stderr
    assert "ne concerne pas le patient de ce télédossier" in result.stderr
    assert re.search(r"Télédossier\s+Étude", result.stderr), result.stderr
    assert re.search(r"Nom\s+LEFÈVRE\s+≠ MARTIN", result.stderr), result.stderr
    assert re.search(r"Né\(e\) le\s+14/02/1970\s+14/02/1970", result.stderr), result.stderr
    assert (
        "hint: Vérifiez que vous avez choisi le bon examen et le bon télédossier" in result.stderr
    )


def test_closed_dossier_and_dossier_list_in_french(
    ortif: Ortif, lang: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_sample_study(
        tmp_path / "cd", patient_name="LEFEVRE^Anne", patient_id="PID-FR2", birth_date="19700214"
    )
    ortif.login(REQUESTER)
    patient = ("--patient-name", "LEFEVRE", "--patient-id", "PID-FR2")
    created = ortif("--json", "dossier", "create", "--to", TO_OUTSIDER, *patient, "--draft")
    assert created.exit_code == 0, created.stderr
    dossier = str(created.json()["id"])
    assert ortif("dossier", "cancel", dossier).exit_code == 0
    lang.setenv("ORTIF_LANG", "fr")

    refused = ortif("exam", "add", dossier, "--dir", str(tmp_path / "cd"))
    assert refused.exit_code == 6, refused.stderr
    assert f"ortif: error: Le télédossier {dossier} est annulé" in refused.stderr
    assert "hint: Créez un nouveau télédossier pour ces images." in refused.stderr

    listed = ortif("dossier", "list", "--patient", "PID-FR2")
    assert listed.exit_code == 0, listed.stderr
    header = listed.stdout.splitlines()[0].split()
    assert header[:7] == [
        "id",
        "statut",
        "patient",
        "correspondants",
        "requérant",
        "examens",
        "créé",
    ]
    assert "annulé" in listed.stdout
    as_csv = ortif("dossier", "list", "--patient", "PID-FR2", "--csv")
    assert as_csv.stdout.splitlines()[0].startswith("id,status,patient,to,from,exams,created_at")
    assert ",cancelled," in as_csv.stdout


def test_dates_follow_the_language(lang: pytest.MonkeyPatch) -> None:
    day = date(1970, 2, 14)
    moment = datetime(2026, 11, 26, 15, 52, tzinfo=timezone.utc)
    assert format_date(day) == "1970-02-14"
    assert format_date(None) == ""
    assert format_time(moment).startswith("2026-11-26 ")
    lang.setenv("LANG", "fr_FR.UTF-8")
    assert format_date(day) == "14/02/1970"
    assert format_time(moment).startswith("26/11/2026 ")


def test_compiled_catalog_is_current(tmp_path: Path) -> None:
    """The checked-in .mo matches its .po (run scripts/update-catalogs after editing)."""
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    po_path = LOCALE_DIR / "fr" / "LC_MESSAGES" / "ortif.po"
    with po_path.open("rb") as po, po_path.with_suffix(".mo").open("rb") as mo:
        written = {key(m.id): key(m.string) for m in read_po(po) if m.id and not m.fuzzy}
        compiled = {key(m.id): key(m.string) for m in read_mo(mo) if m.id}
    assert written == compiled


def key(text: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    """A message id or string; plural ones (lists or tuples) as tuples."""
    return text if isinstance(text, str) else tuple(text)


def test_catalog_is_package_data(tmp_path: Path) -> None:
    """A wheel (setuptools build_py, what bdist_wheel packs) carries the compiled catalog."""
    import shutil
    import sys

    root = Path(__file__).resolve().parents[2]
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    for package in ("ortif_cli", "ortif_server"):
        shutil.copytree(
            root / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    done = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
         "--build-lib", str(tmp_path / "lib")],
        cwd=source, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lib" / "ortif_cli" / "locale" / "fr" / "LC_MESSAGES" / "ortif.mo").is_file()
