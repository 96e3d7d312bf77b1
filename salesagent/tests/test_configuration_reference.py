"""docs/configuration.md against the code: every environment variable the project reads is documented,
and every variable of the reference's settings table is read somewhere.

The variables are found by reading the source (``ast``), not by importing it: a setting that only
exists in the documentation, or one added to ``settings.py`` without a row, fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
REFERENCE = ROOT / "docs" / "configuration.md"
# The project's own Python packages (tests and the virtualenv excluded).
SKIPPED_PARTS = {".venv", "tests", "migrations", "node_modules", "var"}
VARIABLE_RE = re.compile(r"`([A-Z][A-Z0-9_]{2,})`")
# Readers of one variable by name: environ.Env's typed getters, the settings' secret reader,
# os.environ and os.getenv.
ENV_GETTERS = {"str", "int", "float", "bool", "list", "db", "dict", "json", "url", "path"}


def _name_argument(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _variables_read(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = _name_argument(node)
            if name is None:
                continue
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                reader = (func.value.id, func.attr)
                if reader == ("os", "getenv") or (reader[0] == "env" and reader[1] in ENV_GETTERS):
                    names.add(name)
            if isinstance(func, ast.Attribute) and func.attr in {"get", "setdefault"}:
                target = func.value
                if isinstance(target, ast.Attribute) and target.attr == "environ":
                    names.add(name)
            if isinstance(func, ast.Name) and func.id == "_secret":
                names.update({name, f"{name}_FILE"})
        elif isinstance(node, ast.Subscript):
            target = node.value
            key = node.slice
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "environ"
                and isinstance(key, ast.Constant)
                and isinstance(key.value, str)
            ):
                names.add(key.value)
    return names


def project_modules() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts) and path.name != "conftest.py"
    ]


def variables_read_by(paths: list[Path]) -> set[str]:
    names: set[str] = set()
    for path in paths:
        names |= _variables_read(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return names


def documented_settings() -> set[str]:
    """The variables named in the first column of the reference's "Settings" table."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(VARIABLE_RE.findall(line.split(" | ", 1)[0]))
    return names


def test_the_reader_of_variables_finds_each_way_the_code_reads_one():
    # Given source that reads variables in each of the ways the project does
    source = (
        'A = env.int("A_INT", default=1)\n'
        'B = _secret("B_SECRET")\n'
        'C = os.environ.get("C_GET")\n'
        'D = os.environ["D_ITEM"]\n'
        'E = os.getenv("E_GETENV")\n'
        'os.environ.setdefault("F_DEFAULT", "1")\n'
        'G = settings.get("NOT_AN_ENVIRONMENT_VARIABLE")\n'
    )

    names = _variables_read(ast.parse(source))

    # Then each variable is found, a secret with its _FILE twin, and a dictionary read is not
    assert names == {"A_INT", "B_SECRET", "B_SECRET_FILE", "C_GET", "D_ITEM", "E_GETENV", "F_DEFAULT"}


def test_every_variable_the_code_reads_is_in_the_configuration_reference():
    # Given every environment variable the project's modules read
    read = variables_read_by(project_modules())
    assert {"DATABASE_URL", "SECRET_KEY", "HUMAN_REVIEW_CONFIDENCE_THRESHOLD"} <= read  # the reader works

    # Then each is named in docs/configuration.md (a secret's NAME_FILE twin by the reference's
    # "(or `_FILE`)" convention, with its NAME)
    documented = set(VARIABLE_RE.findall(REFERENCE.read_text(encoding="utf-8")))
    missing = {name for name in read - documented if name.removesuffix("_FILE") not in documented}
    assert sorted(missing) == []


def test_every_variable_of_the_settings_table_is_read_by_the_code():
    # Given the variables of the reference's settings table
    documented = documented_settings()
    assert "READER_CV_FOLDS" in documented  # the table was found

    # Then the code reads each of them (none documented that nothing reads)
    assert sorted(documented - variables_read_by(project_modules())) == []
