"""Habits the code keeps: nothing drawn at import that belongs to a process, no caches keyed by id()."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "watcher"


def test_importing_the_outbox_draws_no_claimer_token():
    """The token is per process life: drawn when the process first claims, not when a module is imported."""
    code = (
        "import os, watcher.store.outbox as outbox\n"
        "assert outbox._claimer == (0, ''), outbox._claimer\n"
        "first = outbox.claimer()\n"
        "assert first.startswith(f'{os.getpid()}:') and outbox.claimer() == first\n"
        "print(first)\n"
    )
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True) for _ in "ab"]
    assert runs[0].stdout != runs[1].stdout  # two lives of a process, two tokens


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_claims_in_its_own_name():
    """A child forked after its parent claimed must not claim as the parent: the parent's claims would
    look like the child's, and the child's would be released as stale the moment it exits."""
    from watcher.store.outbox import _alive, claimer

    parent = claimer()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its claimer and whether it sees the parent's claim as alive
        try:
            os.write(write, f"{claimer()} {_alive(parent)} {_alive(claimer())}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child, parent_alive, own_alive = pipe.read().split()
    os.waitpid(pid, 0)
    assert child.startswith(f"{pid}:") and child != parent
    assert (parent_alive, own_alive) == ("True", "True")
    assert claimer() == parent  # the parent's own token is unchanged
    assert not _alive(child)  # the child has exited: its claims are stale


def _module_level_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def _is_id_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "id"


def _id_keyed(tree: ast.Module) -> list[int]:
    """Lines where a module-level container is read or written with a key made by id()."""
    module_names = _module_level_names(tree)
    lines = []
    for node in ast.walk(tree):
        target, keys = None, []
        if isinstance(node, ast.Subscript):
            target, keys = node.value, [node.slice]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target, keys = node.func.value, node.args[:1]
        keyed_by_id = any(_is_id_call(inner) for key in keys for inner in ast.walk(key))
        if isinstance(target, ast.Name) and target.id in module_names and keyed_by_id:
            lines.append(node.lineno)
    return lines


def test_no_module_level_cache_is_keyed_by_id():
    """id() of a freed object is reused by the next one: a module-level cache keyed by it answers for the wrong
    object (and never frees its entries). Cache on the object, or key by value."""
    bad = "_CACHE = {}\ndef rules(lexicon):\n    if id(lexicon) not in _CACHE:\n        _CACHE[id(lexicon)] = 1\n"
    bad += "    return _CACHE.get(id(lexicon))\n"
    assert sorted(_id_keyed(ast.parse(bad))) == [4, 5]  # the scan finds what it looks for
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _id_keyed(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []
