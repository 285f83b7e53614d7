"""Every service uses the house entrypoints (services/common), never nameko's bare ones: those
kill a whole service when the broker goes away mid-ack, and their RPC proxy has no deadline. Test
services too: nameko's `rpc` beside the house one would put two consumers on one service's RPC
queue, each answering MethodNotFound for the other's methods."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BARE = re.compile(r"from nameko\.rpc import .*\b(rpc|RpcProxy)\b|from nameko\.events import .*\bevent_handler\b")


def test_no_service_uses_a_bare_nameko_entrypoint_or_proxy():
    offenders = [f"{path.relative_to(ROOT)}:{n}" for folder in ("services", "gateway", "tests")
                 for path in sorted((ROOT / folder).rglob("*.py")) if "common" not in path.parts
                 for n, line in enumerate(path.read_text().splitlines(), 1) if BARE.search(line)]
    assert offenders == []
