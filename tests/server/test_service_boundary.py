"""The service layer speaks the domain, not HTTP (issue 14): read from the modules' source
with ``ast``, so a change that lets HTTP back in fails here rather than in review.

- no module under ``server/services/`` imports FastAPI, Starlette or ``server.problems``;
- no service function is annotated to return ``dict[str, Any]`` (a frozen dataclass says
  its shape once);
- every :class:`ServiceError` code has one HTTP status in ``server.problems.STATUS``, and
  every rule code a :class:`Refused` can carry has one by ``server.problems.status_of``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from server.problems import SERVER_CODES, STATUS
from server.services.errors import ServiceError, error_classes
from shared.errors import ALL_CODES

SERVICES = Path(__file__).resolve().parents[2] / "server" / "services"
FORBIDDEN = ("fastapi", "starlette", "server.problems")

#: (module, function) still returning ``dict[str, Any]``; only ever shorter — and empty.
NOT_YET: set[tuple[str, str]] = set()


def _modules() -> list[Path]:
    return sorted(SERVICES.glob("*.py"))


def _imports(tree: ast.Module) -> list[str]:
    """Absolute names of every import, relative ones resolved against ``server.services``."""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ["server", "services"][: max(0, 2 - (node.level - 1))] if node.level else []
            mod = ".".join([*base, *(node.module.split(".") if node.module else [])])
            out.append(mod)
            out += [f"{mod}.{a.name}" for a in node.names]
    return out


def _dict_returns(tree: ast.Module) -> list[str]:
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.returns is not None
        and "dict[str, Any]" in ast.unparse(node.returns)
    ]


def test_the_checks_see_what_they_look_for() -> None:
    """The readers themselves: a relative import of problems and a dict return are found."""
    tree = ast.parse("from ..problems import Problem\nimport fastapi\ndef f() -> dict[str, Any]: ...\n")
    names = _imports(tree)
    assert "server.problems" in names and "fastapi" in names
    assert _dict_returns(tree) == ["f"]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_no_service_speaks_http(path: Path) -> None:
    names = _imports(ast.parse(path.read_text(encoding="utf-8")))
    bad = [n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == [], f"{path.name} imports {bad}: raise a server.services.errors class instead"


def test_no_new_dict_returns() -> None:
    found = {(p.name, fn) for p in _modules() for fn in _dict_returns(ast.parse(p.read_text(encoding="utf-8")))}
    new = found - NOT_YET
    assert not new, f"return a frozen dataclass, not dict[str, Any]: {sorted(new)}"
    gone = NOT_YET - found
    assert not gone, f"converted, so take them off NOT_YET: {sorted(gone)}"


def test_every_service_error_has_one_status() -> None:
    classes = error_classes()
    assert classes, "no ServiceError subclasses found"
    for cls in classes:
        assert issubclass(cls, ServiceError)
        assert cls.code in STATUS, f"{cls.__name__}: no HTTP status for {cls.code!r} in server.problems.STATUS"
        assert cls.code in SERVER_CODES or cls.code in ALL_CODES, f"{cls.code!r} has no title"
    assert len({c.code for c in classes}) == len(classes), "two classes share a code"


def test_each_service_error_becomes_its_problem_at_the_boundary() -> None:
    """A service error raised in a route is answered as RFC 9457 problem+json with the
    status of the one table, its code, detail and extra fields — nothing else maps them."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from server.problems import install

    app = FastAPI()
    install(app)
    classes = {cls.code: cls for cls in error_classes()}

    @app.get("/raise/{code}")
    def _raise(code: str) -> None:
        raise classes[code](f"detail of {code}", hint=code)

    with TestClient(app) as client:
        for code in classes:
            r = client.get(f"/raise/{code}")
            body = r.json()
            assert r.status_code == STATUS[code] and r.headers["content-type"] == "application/problem+json", code
            assert (body["code"], body["detail"], body["hint"], body["status"]) == (code, f"detail of {code}", code, STATUS[code])
            assert body["type"] == f"urn:simsa:problem:{code}"


@pytest.mark.parametrize(
    ("code", "status"),
    [("malformed", 400), ("bad_head_signature", 400), ("unknown_kiosk", 403), ("chain_gap", 409),
     ("chain_fork", 409), ("bad_signature", 422), ("revoked_credential", 422), ("too_many_ballots", 422)],
)
def test_a_refused_submission_gets_its_rule_status(code: str, status: int) -> None:
    """A rule's refusal: 400 for what is not of the documented shape, 403 for a kiosk not
    enrolled, 409 for a batch that does not continue the chain, 422 for every other rule —
    ``bad_signature`` of a ballot is 422 although a kiosk registration's is 400."""
    from server.problems import problem_of, status_of
    from server.services.errors import BadSignature, Refused

    assert status_of(Refused(code, "why")) == status
    assert problem_of(Refused(code, "why", id="x")).extra == {"id": "x"}
    assert status_of(BadSignature("why")) == 400


def test_every_rule_code_is_a_code_a_refusal_can_carry() -> None:
    """Each DESIGN §5 code has a title (Problem refuses an unknown code) and a status."""
    from server.problems import problem_of
    from server.services.errors import Refused

    for code in sorted({*ALL_CODES, "too_many_ballots"}):
        assert problem_of(Refused(code, "why")).status in (400, 403, 409, 422), code
