#!/usr/bin/env python3
"""The floors of the house, checked (make lint): each C library is imported
by its wrapper target alone, TaskrCore imports no C module, the database
wrappers (and GRDB, should it come back) are imported only under
Sources/TaskrCore/Storage/, and README's target table names every target of
Package.swift.

    scripts/check-floors.py [REPO]     exit 0 when every floor holds, 1 otherwise

A C module is a `.systemLibrary` target of Package.swift; its wrapper is the
one target that may import it (the table below). Tests may import wrappers,
never C modules, except the fuzzing replay, which drives libFuzzer's entry.
"""
import pathlib
import re
import sys

# C module -> the targets allowed to import it.
WRAPPERS = {
    "CFastCGI": {"FastCGI"},
    "CSodium": {"Sodium"},
    "CCurl": {"Curl"},
    "CLibPQ": {"Postgres"},
    "CSQLite": {"SQLite"},
    "CLibFuzzer": {"taskr-fuzz", "FuzzRegressionTests"},
}
# Modules only the storage floor may import (inside TaskrCore; their own
# wrapper targets and the tests aside).
STORAGE_ONLY = {"GRDB", "Postgres", "SQLite"}
IMPORT = re.compile(r"^\s*(?:@testable\s+|@_exported\s+)?(?:(?:public|internal|package|private|fileprivate)\s+)?import\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


def targets(package: str) -> dict:
    """Every target of Package.swift: name -> (kind, source folder)."""
    found = {}
    for match in re.finditer(r"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*\"([^\"]+)\"(.*?)\n\s*\)", package, re.S):
        kind, name, rest = match.groups()
        path = re.search(r"path:\s*\"([^\"]+)\"", rest)
        folder = path.group(1) if path else ("Tests/" if kind == "testTarget" else "Sources/") + name
        found[name] = (kind, folder)
    return found


def check(repo: pathlib.Path) -> list:
    problems = []
    package = (repo / "Package.swift").read_text()
    all_targets = targets(package)
    c_modules = {name for name, (kind, _) in all_targets.items() if kind == "systemLibrary"}
    for module in sorted(c_modules - WRAPPERS.keys()):
        problems.append(f"Package.swift: C module {module} has no wrapper named in scripts/check-floors.py")
    for name, (kind, folder) in sorted(all_targets.items()):
        if kind == "systemLibrary":
            continue
        for file in sorted((repo / folder).rglob("*.swift")):
            relative = file.relative_to(repo)
            for module in IMPORT.findall(file.read_text()):
                if module in c_modules and name not in WRAPPERS.get(module, set()):
                    where = "TaskrCore imports a C module" if name == "TaskrCore" else f"{module} is imported outside its wrapper"
                    problems.append(f"{relative}: import {module}: {where} ({', '.join(sorted(WRAPPERS.get(module, ())))})")
                if (module in STORAGE_ONLY and kind != "testTarget" and module != name
                        and not str(relative).startswith("Sources/TaskrCore/Storage/")):
                    problems.append(f"{relative}: import {module} outside Sources/TaskrCore/Storage/")
    readme = (repo / "README.md").read_text()
    table = {cell for line in readme.splitlines() if line.startswith("| `")
             for cell in re.findall(r"`([^`]+)`", line.split("|")[1])}
    for name in sorted(all_targets):
        if name not in table:
            problems.append(f"README.md: the target table does not name `{name}` (a target of Package.swift)")
    return problems


def main() -> int:
    repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    problems = check(repo)
    for problem in problems:
        print(f"floors: {problem}", file=sys.stderr)
    print(f"floors: {len(problems)} problem(s) in {repo}" if problems else "floors: every floor holds")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
