"""The gateway holds no domain of its own (DESIGN §2): it imports no `services.<svc>` module, only
the infrastructure in services/common, and what a page decides on comes in the services' answers."""

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[3] / "gateway"


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def forbidden(module):
    parts = module.split(".")
    return parts[0] == "services" and len(parts) > 1 and parts[1] != "common"


def test_the_gateway_imports_no_service_module():
    files = sorted(GATEWAY.rglob("*.py"))
    assert len(files) > 20
    found = [
        f"{path.relative_to(GATEWAY.parent)}: {module}"
        for path in files
        for module in imported_modules(path)
        if forbidden(module)
    ]
    assert found == []


def test_the_rule_sees_every_way_of_importing_a_service(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import services.risk.schemas\nfrom services import order\n"
        "from services.risk.schemas import RuleSet\nfrom services.common.errors import NotFound\n"
        "from services import common\nfrom . import schemas\n",
        encoding="utf-8",
    )
    assert sorted({m for m in imported_modules(sample) if forbidden(m)}) == [
        "services.order",
        "services.risk.schemas",
        "services.risk.schemas.RuleSet",
    ]
