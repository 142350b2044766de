#!/usr/bin/env python3
"""The shape of src/: src/core includes no GTK or libadwaita, and no module
depends on itself through others.

A module is a .c file with its .h (and its -private.h); it depends on
another when one of its files includes the other's header. Prints the
include graph of src/ and fails on a cycle or on a GTK include in src/core.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.MULTILINE)
GUI_HEADERS = ("gtk/", "adwaita.h", "gdk/")


def module_of(filename):
    name = os.path.basename(filename)
    name = re.sub(r"\.(c|h|ui)$", "", name)
    return re.sub(r"-private$", "", name)


def read_graph(src):
    graph, problems = {}, []
    for folder, _, files in os.walk(src):
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            module = module_of(name)
            graph.setdefault(module, set())
            for header in INCLUDE.findall(text):
                if os.path.relpath(path, src).startswith("core" + os.sep) and header.startswith(GUI_HEADERS):
                    problems.append(f"{os.path.relpath(path, src)} includes {header}: src/core must not use GTK")
                if header.startswith("cairn-") and header != "cairn-types.h":
                    target = module_of(header)
                    if target != module:
                        graph[module].add(target)
    return graph, problems


def find_cycle(graph):
    """One cycle as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path)
                if found:
                    return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    graph, problems = read_graph(src)
    for module in sorted(graph):
        print(f"{module} -> {', '.join(sorted(graph[module])) or '(nothing)'}")
    cycle = find_cycle(graph)
    if cycle:
        problems.append("include cycle: " + " -> ".join(cycle))
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
