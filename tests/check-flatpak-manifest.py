#!/usr/bin/python3
# Checks flatpak/io.github.cairnapp.Cairn.json against what Cairn promises:
# the GNOME 47+ runtime, the `cairn` command, exactly the sandbox holes we
# need (no direct Secret Service access: libsecret goes through the Secret
# portal inside the sandbox), and a meson module that builds this repository.
#
# Usage: check-flatpak-manifest.py [MANIFEST]
#        (default: $CAIRN_SOURCE_ROOT/flatpak/io.github.cairnapp.Cairn.json)

import json
import os
import sys

APP_ID = 'io.github.cairnapp.Cairn'
MIN_RUNTIME_VERSION = 47
FINISH_ARGS = {
    '--share=network',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--share=ipc',
    '--device=dri',
}


def default_manifest():
    root = os.environ.get('CAIRN_SOURCE_ROOT',
                          os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    return os.path.normpath(os.path.join(root, 'flatpak', APP_ID + '.json'))


def runtime_version_ok(version):
    try:
        return int(str(version).split('.')[0]) >= MIN_RUNTIME_VERSION
    except ValueError:
        return False  # "master" and the like are not a release we can promise


def check_identity(m, problems):
    ids = {m.get('id'), m.get('app-id')} - {None}
    if ids != {APP_ID}:
        problems.append(f'id/app-id must be {APP_ID}, found {sorted(ids) or "none"}')
    if m.get('command') != 'cairn':
        problems.append(f'command must be cairn, found {m.get("command")!r}')


def check_runtime(m, problems):
    if m.get('runtime') != 'org.gnome.Platform':
        problems.append(f'runtime must be org.gnome.Platform, found {m.get("runtime")!r}')
    if not runtime_version_ok(m.get('runtime-version')):
        problems.append(f'runtime-version must be >= {MIN_RUNTIME_VERSION}, '
                        f'found {m.get("runtime-version")!r}')
    if m.get('sdk') != 'org.gnome.Sdk':
        problems.append(f'sdk must be org.gnome.Sdk, found {m.get("sdk")!r}')


def check_finish_args(m, problems):
    args = m.get('finish-args', [])
    for arg in args:
        if 'org.freedesktop.secrets' in arg:
            problems.append(f'{arg}: no direct Secret Service access, '
                            'libsecret uses the Secret portal in the sandbox')
    if len(args) != len(set(args)):
        problems.append('finish-args has duplicates')
    missing = FINISH_ARGS - set(args)
    extra = set(args) - FINISH_ARGS
    if missing:
        problems.append(f'finish-args misses {sorted(missing)}')
    if extra:
        problems.append(f'finish-args has unexpected {sorted(extra)}')


def builds_this_repo(module):
    if not isinstance(module, dict) or module.get('buildsystem') != 'meson':
        return False
    return any(isinstance(s, dict) and s.get('type') == 'dir'
               and os.path.normpath(s.get('path', '')) == '..'
               for s in module.get('sources', []))


def check_modules(m, problems):
    modules = m.get('modules', [])
    if not modules:
        problems.append('no modules')
        return
    last = modules[-1]
    if not builds_this_repo(last):
        problems.append('the last module must build this repository '
                        '(buildsystem meson, a "dir" source with path "..")')
    elif last.get('name') != 'cairn':
        problems.append(f'the module building this repository must be named cairn, '
                        f'found {last.get("name")!r}')


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else default_manifest()
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f'{path}: cannot read the manifest: {e}', file=sys.stderr)
        return 1
    if not isinstance(manifest, dict):
        print(f'{path}: not a JSON object', file=sys.stderr)
        return 1

    problems = []
    for check in (check_identity, check_runtime, check_finish_args, check_modules):
        check(manifest, problems)

    if problems:
        print(f'{path}:', file=sys.stderr)
        for problem in problems:
            print(f'  {problem}', file=sys.stderr)
        return 1
    print(f'{path}: OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
