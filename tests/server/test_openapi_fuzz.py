"""Schemathesis against the live server's /openapi.json, signed in: no 5xx, and every
response conforms to the schema. Bounded (5 examples per operation, a timeout per request and
per operation) and marked `fuzz` so that `-m "not fuzz"` deselects it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.server.conftest import _database_backends, fresh_postgresql_database
from tests.server.server_process import ServerProcess

pytestmark = pytest.mark.fuzz

# Signing out would revoke the token the rest of the run uses.
EXCLUDED = {("DELETE", "/api/v1/session")}


@pytest.fixture(scope="module", params=_database_backends())
def fuzzed_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """A server of its own: the fuzzer fills it with junk the other tests must not see."""
    with ExitStack() as stack:
        database = None
        if request.param == "postgresql":
            database = stack.enter_context(fresh_postgresql_database())
        server = ServerProcess.seeded(tmp_path_factory.mktemp("fuzz") / "data", database)
        server.start()
        stack.callback(server.stop)
        yield server


@pytest.fixture(scope="module")
def bearer(fuzzed_server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {fuzzed_server.token()}"}


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: ServerProcess) -> Any:
    return schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@pytest.mark.timeout(
    600
)  # a bound on one operation's run (a loaded machine is slow); 60 s a request
@settings(
    max_examples=5,
    deadline=None,  # a per-example deadline is flaky on a loaded CI machine: see timeouts
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_within_its_schema(
    case: schemathesis.Case[Any], fuzzed_server: ServerProcess, bearer: dict[str, str]
) -> None:
    if (case.method.upper(), case.path) in EXCLUDED:
        return
    if case.query and "wait" in case.query:  # a long poll waits by design: not for 10 s here
        case.query["wait"] = 0
    case.call_and_validate(
        base_url=fuzzed_server.url,
        headers=bearer,
        checks=[not_a_server_error, response_schema_conformance],
        timeout=60,
    )


def test_fuzzed_server_left_no_temporary_file(fuzzed_server: ServerProcess) -> None:
    tmp: Path = fuzzed_server.settings.tmp_dir
    assert list(tmp.iterdir()) == []
