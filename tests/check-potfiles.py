#!/usr/bin/python3
# Checks that po/POTFILES.in lists exactly the files with translatable strings.
#
# Fails when
#   - a C file or GtkBuilder .ui file under src/ or data/ marks a string for
#     translation (_(), N_(), C_(), NC_(), translatable="yes") but is not listed;
#   - the desktop entry, metainfo or GSettings schema in data/ is not listed;
#   - POTFILES.in lists a file that does not exist, is listed twice, or has
#     nothing to translate (xgettext would only waste time on it).
#
# Usage: check-potfiles.py [SOURCE_ROOT]   (default: $CAIRN_SOURCE_ROOT, then ..)

import os
import re
import sys

# A gettext macro call, not the tail of another name (g_strdup_(, FOO_N_().
C_MARKS = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_)\s*\(')
UI_MARKS = re.compile(r'translatable\s*=\s*["\'](?:yes|true|1)["\']', re.IGNORECASE)
C_SUFFIXES = ('.c', '.h')
UI_SUFFIXES = ('.ui',)
# Always translated through po/, whatever they contain.
DATA_SUFFIXES = ('.desktop.in', '.metainfo.xml.in', '.gschema.xml')
SKIP_DIRS = {'node_modules', '.git', '_build'}
# The Convex functions (TypeScript) run on the user's deployment, not in the app.
SKIP_PATHS = {os.path.join('data', 'convex')}


def read(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def is_translatable(path):
    if path.endswith(DATA_SUFFIXES):
        return True
    if path.endswith(C_SUFFIXES):
        return C_MARKS.search(read(path)) is not None
    if path.endswith(UI_SUFFIXES):
        return UI_MARKS.search(read(path)) is not None
    return False


def walk(root, top):
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIP_DIRS and os.path.join(rel_dir, d) not in SKIP_PATHS)
        for name in sorted(filenames):
            yield os.path.relpath(os.path.join(dirpath, name), root)


def translatable_files(root):
    found = set()
    for top in ('src', 'data'):
        for rel in walk(root, top):
            if top == 'src' and not rel.endswith(C_SUFFIXES + UI_SUFFIXES):
                continue
            if top == 'data' and not rel.endswith(UI_SUFFIXES + DATA_SUFFIXES):
                continue
            if is_translatable(os.path.join(root, rel)):
                found.add(rel.replace(os.sep, '/'))
    return found


def listed_files(potfiles):
    listed = []
    for line in read(potfiles).splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            listed.append(line)
    return listed


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        'CAIRN_SOURCE_ROOT', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    potfiles = os.path.join(root, 'po', 'POTFILES.in')
    listed = listed_files(potfiles)
    wanted = translatable_files(root)
    problems = []

    seen = set()
    for rel in listed:
        path = os.path.join(root, rel)
        if rel in seen:
            problems.append(f'{rel}: listed more than once')
        elif not os.path.isfile(path):
            problems.append(f'{rel}: listed but does not exist')
        elif rel not in wanted:
            problems.append(f'{rel}: listed but has no translatable strings')
        seen.add(rel)

    for rel in sorted(wanted - seen):
        problems.append(f'{rel}: has translatable strings but is missing from po/POTFILES.in')

    if problems:
        print('po/POTFILES.in is out of date:', file=sys.stderr)
        for problem in problems:
            print(f'  {problem}', file=sys.stderr)
        print('Expected content (after the comment lines):', file=sys.stderr)
        for rel in sorted(wanted):
            print(f'  {rel}', file=sys.stderr)
        return 1

    print(f'po/POTFILES.in lists all {len(wanted)} files with translatable strings')
    return 0


if __name__ == '__main__':
    sys.exit(main())
