"""`ortif demo --psc`: the demo's sign-ins through a local Pro Santé Connect provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from ortif_cli.psc_provider import SOURCE_DIR
from tests.conftest import Ortif


def test_demo_signs_in_both_ways_through_the_local_provider(tmp_path: Path) -> None:
    if not (SOURCE_DIR / "node_modules").is_dir():
        pytest.skip("`npm ci --prefix tests/psc_provider` is needed (.ci/run does it)")
    result = Ortif()("--json", "demo", "--psc", "--keep", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.stderr
    assert result.json()["status"] == "closed"
    assert "0. Local Pro Santé Connect provider" in result.stderr
    assert "mdurand signs in with Pro Santé Connect" in result.stderr
    assert "pmartin signs in with the e-CPS app (CIBA)" in result.stderr
    assert "9. Verified" in result.stderr


def test_demo_without_the_provider_says_how_to_get_it(tmp_path: Path) -> None:
    result = Ortif()("demo", "--psc", "--psc-provider", str(tmp_path))
    assert result.exit_code == 2
    assert "local Pro Santé Connect provider is not in" in result.stderr
    assert "tests/psc_provider" in result.stderr


def test_psc_provider_goes_with_psc(tmp_path: Path) -> None:
    assert Ortif()("demo", "--psc-provider", str(tmp_path)).exit_code == 2
