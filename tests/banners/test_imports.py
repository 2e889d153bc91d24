"""The banners app's modules import each other in a line, never in a circle (issue 14: ai ↔ jobs ↔
services was one), counting imports inside functions too."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "banners"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "banners":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("banners."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("banners.")}
    return found


def test_no_module_of_the_banners_app_imports_itself_back():
    graph = {p.stem: _imports(p) & {q.stem for q in APP.glob("*.py")} for p in APP.glob("*.py")}

    def reaches(start: str, goal: str, seen: frozenset = frozenset()) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ()))

    circles = sorted(name for name in graph if reaches(name, name))
    assert circles == [], circles
