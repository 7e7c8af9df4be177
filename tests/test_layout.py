"""The layout holds: no import cycle in models/ or studio/ (imports inside functions count), models/ imports no UI
library and draws nothing (no SVG, PNG, HTML or colours: studio/views/ does), and the tests import neither the
benchmarks nor one another.

Read from the source with ast, so a violation is found whether or not the code path runs.
"""
import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "studio")
UI_LIBRARIES = {"gradio", "gradio_client", "plotly", "matplotlib"}
DRAWING_MODULES = {"html", "PIL.ImageDraw", "PIL.ImageFont", "PIL.PngImagePlugin", "cairosvg", "svgwrite"}
# Text that only a picture or a page is made of.
DRAWN_TEXT = re.compile(r"<svg|<html|<div|<span|<img|<rect|<text\b|image/png|image/svg|data:image|"
                        r"\bhsla?\(|\brgba?\(|#[0-9a-fA-F]{6}\b")
# Names of colour maps and palettes: painting values is the studio's job.
COLOUR_NAME = re.compile(r"colou?r|cmap|palette", re.IGNORECASE)


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (one of ours, or any other top-level name)
    line: int
    function: str | None  # the function the import statement sits in; None: at module level


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).glob("**/*.py"))}


def enclosing_functions(tree: ast.AST) -> dict[int, str]:
    """id(node) -> the name of the innermost function around it."""
    around = {}

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if inner is not None:
                around[id(child)] = inner
            visit(child, inner)

    visit(tree, None)
    return around


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = enclosing_functions(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from a.b import c` imports the module a.b.c when there is one, else the name c of a.b
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        found |= {Import(module, name, node.lineno, functions.get(id(node))) for name in names if name != module}
    return sorted(found, key=lambda edge: (edge.line, edge.target))


def import_graph() -> list[Import]:
    modules = our_modules()
    return [edge for module, path in modules.items() for edge in imports_of(module, path, modules)]


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(groups)


def described_cycle(group: list[str], edges: list[Import]) -> str:
    inside = [edge for edge in edges if edge.source in group and edge.target in group]
    return "; ".join(sorted({f"{edge.source} -> {edge.target} (line {edge.line}"
                             + (f", in {edge.function}()" if edge.function else "") + ")" for edge in inside}))


def test_the_import_scan_sees_imports_inside_functions_and_relative_ones():
    edges = import_graph()
    assert len({edge.source for edge in edges}) > 40, "the scan found too few modules"
    assert any(edge.function for edge in edges), "imports inside functions were not seen"
    [one] = [edge for edge in edges if edge.source == "studio.common" and edge.target == "models.errors"]
    assert one.function is None


def test_the_cycle_search_finds_a_cycle_through_a_function_level_import():
    edges = [Import("a", "b", 1, None), Import("b", "c", 1, "late"), Import("c", "a", 1, None), Import("c", "d", 2, None)]
    assert cycles(edges) == [["a", "b", "c"]]
    assert "b -> c (line 1, in late())" in described_cycle(["a", "b", "c"], edges)
    assert cycles(edges[:2] + edges[3:]) == []


def test_no_import_cycle_in_models_or_studio():
    edges = import_graph()
    found = [described_cycle(group, edges) for group in cycles(edges)]
    assert not found, "import cycles:\n" + "\n".join(found)


def drawing_in(path: Path) -> list[str]:
    """What in one models/ file belongs to the studio: a UI library, a drawing module, SVG/PNG/HTML or a colour."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [
                node.module or "", *(f"{node.module}.{alias.name}" for alias in node.names)]
            for name in names:
                if name.split(".")[0] in UI_LIBRARIES or name in DRAWING_MODULES:
                    found.append(f"line {node.lineno}: imports {name}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if match := DRAWN_TEXT.search(node.value):
                found.append(f"line {node.lineno}: writes {match.group()!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # a picture encoded for a page (into a buffer, in a format), not a file kept as data
            encoded = node.func.attr == "save" and (any(keyword.arg == "format" for keyword in node.keywords)
                                                     or "BytesIO" in ast.unparse(node))
            if encoded or node.func.attr in ("escape", "b64encode"):
                found.append(f"line {node.lineno}: {ast.unparse(node.func)}()")
        elif isinstance(node, (ast.Name, ast.FunctionDef, ast.arg)):
            name = node.id if isinstance(node, ast.Name) else node.name if isinstance(node, ast.FunctionDef) else node.arg
            if COLOUR_NAME.search(name):
                found.append(f"line {node.lineno}: {name} (a colour map)")
    return sorted(set(found))


def test_the_drawing_scan_sees_svg_png_html_and_colours(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstrings may say <svg> and image/png."""\n'
                      'import gradio as gr\n'
                      'from plotly import graph_objects\n'
                      'import html\n'
                      'svg = "<svg width=\'10\'>"\n'
                      'picture.save(buffer, format="PNG")\n'
                      'torch.save(weights, path)\n'
                      'tint = f"hsla({hue}, 80%, 50%, 0.5)"\n'
                      'label = html.escape(text)\n'
                      'JET_COLOURS = [(0, 0, 255), (255, 0, 0)]\n'
                      'photo.save(folder / "001.png")\n')
    lines = [int(found.split(":")[0].removeprefix("line ")) for found in drawing_in(sample)]
    assert sorted(set(lines)) == [2, 3, 4, 5, 6, 8, 9, 10], drawing_in(sample)


@pytest.mark.parametrize("path", sorted((ROOT / "models").glob("**/*.py")), ids=lambda path: str(path.relative_to(ROOT)))
def test_models_import_no_ui_library_and_draw_nothing(path):
    assert not drawing_in(path), f"{path.relative_to(ROOT)} belongs partly in studio/: {drawing_in(path)}"


def test_tests_import_neither_the_benchmarks_nor_another_test_module():
    """tests/bench/ tests the benchmarks and may import them; a helper two tests share lives in a harness."""
    wrong = []
    for path in sorted((ROOT / "tests").glob("**/*.py")):
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.split(".")[0] == "bench" and where.parts[1] != "bench":
                    wrong.append(f"{where}:{node.lineno} imports {name}")
                if name.split(".")[-1].startswith("test_"):
                    wrong.append(f"{where}:{node.lineno} imports the test module {name}")
    assert not wrong


def readme_tree() -> str:
    """The tree drawn in the README's Layout section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def test_the_readme_layout_names_every_module_and_only_modules_that_exist():
    tree = readme_tree()
    named = set(re.findall(r"[\w<>]+\.(?:py|json)", tree))
    modules = {path.name for package in PACKAGES for path in (ROOT / package).glob("**/*.py")
               if path.name != "__init__.py" and "tasks" not in path.parts}
    assert not modules - named, f"modules the README's Layout section does not show: {sorted(modules - named)}"
    missing = {name for name in named - {"<task>.py", "<code>.json"} if not list(ROOT.glob(f"**/{name}"))}
    assert not missing, f"the README's Layout section shows files that do not exist: {sorted(missing)}"
    folders = set(re.findall(r"^\s*([\w/<>]+)/\s", tree, re.MULTILINE))
    assert not [folder for folder in folders if "<" not in folder and not (ROOT / folder).is_dir()
                and not list(ROOT.glob(f"**/{folder}"))], folders
