#!/usr/bin/env python3
"""layers.py - the modules' include graph (issue 16): which module's headers each module's files
include, a program under MODULE/cli/ counted as a node of its own above its library; fails on a
cycle, and on an include the declared order forbids (a module including one declared above it).
Prints TAP. usage: layers.py SOURCE_ROOT"""
import os, re, sys

root = sys.argv[1]
# lowest first; a module may include only modules before it (programs: anything but their callers)
ORDER = ['base', 'policy', 'cert', 'keys', 'register', 'publication', 'http', 'witness',
         'issuer', 'verifier', 'signer', 'console',
         'register/cli', 'issuer/cli']
MODS = {'base', 'policy', 'cert', 'keys', 'register', 'publication', 'http', 'issuer',
        'verifier', 'signer', 'console', 'witness'}

def node(path):
    top = path.split('/')[0]
    if top not in MODS:
        return None
    return top + '/cli' if path.startswith(top + '/cli/') else top

files = []
for d in MODS:
    for dp, _, fs in os.walk(os.path.join(root, d)):
        files += [os.path.relpath(os.path.join(dp, f), root) for f in fs if f.endswith(('.c', '.h'))]
owner = {}
for f in files:
    if f.endswith('.h'):
        owner.setdefault(os.path.basename(f), set()).add(node(f))
edges, why = {}, {}
for f in sorted(files):
    m = node(f)
    with open(os.path.join(root, f), encoding='utf-8', errors='replace') as fh:
        for line in fh:
            mm = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not mm:
                continue
            own = owner.get(os.path.basename(mm.group(1)), set())
            if m in own or (m.endswith('/cli') and m[:-4] in own):
                continue  # its own header, or its library's
            for o in own:
                edges.setdefault(m, set()).add(o)
                why.setdefault((m, o), f)
n = 0
def tap(ok, what):
    global n
    n += 1
    print(('ok' if ok else 'not ok') + f' {n} - {what}')
    return ok

cycle = None
def dfs(x, path):
    global cycle
    for y in sorted(edges.get(x, ())):
        if y in path:
            cycle = path[path.index(y):] + [y]
            return True
        if dfs(y, path + [y]):
            return True
    return False
for m in ORDER:
    if dfs(m, [m]):
        break
tap(cycle is None, 'no cycle among the modules' + ('' if cycle is None else ': ' + ' -> '.join(cycle)))
up = [(m, o) for m in edges for o in edges[m] if ORDER.index(o) > ORDER.index(m)]
for m, o in up:
    print(f'# {why[(m, o)]} includes a header of {o}, declared above {m}')
tap(not up, 'no module includes one declared above it (' + ' < '.join(ORDER) + ')')
bad = {'verifier', 'http', 'signer', 'console', 'issuer'} & (edges.get('register/cli', set()) |
                                                         edges.get('register', set()))
tap(not bad, "titlecert-register includes nothing of the verifier, the HTTP layer or the services" +
    (': ' + ' '.join(sorted(bad)) if bad else ''))
for m in ORDER:
    print(f'# {m} -> ' + ' '.join(sorted(edges.get(m, ()))))
print(f'1..{n}')
