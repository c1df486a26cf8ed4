"""The package's shape: no module over 450 lines, no import circle (every import counted, also inside functions)."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).parent.parent / "vae_tutorial"
MAX_LINES = 450


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: pathlib.Path, modules) -> set[str]:
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = ".".join(base[: len(base) - node.level + 1] + ([module] if module else []))
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target not in (name, "vae_tutorial"):
                found.add(target)
    return found


def test_no_module_is_longer_than_450_lines():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _modules().items()}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_no_import_circle():
    modules = _modules()
    edges = {name: _imports(name, path, modules) for name, path in modules.items()}
    for start in modules:  # a circle through `start`: a path from one of its imports back to it
        seen, stack = set(), list(edges[start])
        while stack:
            module = stack.pop()
            assert module != start, f"{start} imports itself through its imports"
            if module not in seen:
                seen.add(module)
                stack.extend(edges[module])


def test_the_checker_finds_a_circle(tmp_path, monkeypatch):
    package = tmp_path / "vae_tutorial"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from vae_tutorial import b\n")
    (package / "b.py").write_text("def f():\n    from vae_tutorial.a import g\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", package)
    modules = _modules()
    assert _imports("vae_tutorial.a", modules["vae_tutorial.a"], modules) == {"vae_tutorial.b"}
    assert _imports("vae_tutorial.b", modules["vae_tutorial.b"], modules) == {"vae_tutorial.a"}
