"""``plantao gate check --url`` as a CI runner runs it: a real ``plantao serve`` on loopback,
a gate-only token made with ``plantao tokens create --scopes gate``, and the CLI in its own
process reading the exit code."""

from __future__ import annotations

import subprocess

from sqlalchemy.orm import Session, sessionmaker

from plantao.db import make_engine, make_sessionmaker
from tests.e2e.conftest import PlantaoServer, free_port, plantao_command
from tests.factories.gate import add_action, declare


def gate_check(server: PlantaoServer, token: str, *extra: str, url: str = "") -> tuple[int, str]:
    """Run ``plantao gate check`` with only the URL and token a pipeline has."""
    env = {k: v for k, v in server.env.items() if k not in ("PLANTAO_DATABASE_URL", "PLANTAO_URL")}
    env["PLANTAO_DATABASE_URL"] = "sqlite:///does-not-exist/never-used.db"
    env["PLANTAO_GATE_TOKEN"] = token
    done = subprocess.run(
        [*plantao_command(), "gate", "check", "--service", "checkout", *extra],
        env={**env, "PLANTAO_URL": url or server.base_url},
        cwd=server.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _sessions(server: PlantaoServer) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(server.database_url, pool_size=1))


def test_gate_check_over_http(plantao_server: PlantaoServer) -> None:
    """Allowed exits 0, an open must-fix action exits 1 naming it, a refused token, an unknown
    service or an unreachable server exit 2; the gate-only token cannot read incidents."""
    server = plantao_server
    gate_token = server.cli(
        "tokens", "create", "--name", "ci-gate", "--role", "viewer", "--scopes", "gate"
    )
    gate_token = gate_token.strip().splitlines()[-1].strip()
    code, out = gate_check(server, gate_token)
    assert code == 0, out
    assert out.strip() == "allowed"

    with server.client() as admin:
        ref = declare(admin, server.token, title="Payments failing")
    factory = _sessions(server)
    action = add_action(factory, ref, title="Bound the payment client's retries")
    code, out = gate_check(server, gate_token)
    assert code == 1, out
    assert f'{action} {ref} "Bound the payment client\'s retries" owner=@ana' in out

    code, out = gate_check(server, gate_token, "--json")
    assert code == 1 and '"allowed": false' in out

    code, out = gate_check(server, "not-a-token")
    assert code == 2 and "401" in out
    code, out = gate_check(server, gate_token, url=f"http://127.0.0.1:{free_port()}")
    assert code == 2 and "could not reach" in out
    with server.client(gate_token) as ci:
        assert ci.get("/api/v1/incidents").status_code == 403
        assert ci.get(f"/api/v1/incidents/{ref}").status_code == 403
        assert ci.get("/api/v1/release-gate", params={"service": "nope"}).status_code == 404
