#!/usr/bin/env python3
"""Adds up the TAP results of meson test logs (testlog.json) into one closing line:
'N passed, N failed, N skipped'. Exits 1 when anything failed or nothing ran."""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding='utf-8').read().splitlines()
    except OSError as e:
        print(f'summary: {path}: {e}', file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get('stdout') or ''
        n_ok = n_skip = n_bad = 0
        for l in out.splitlines():
            if re.match(r'^not ok \d+', l):
                n_bad += 1
            elif re.match(r'^ok \d+', l):
                if re.search(r'#\s*SKIP', l, re.I):
                    n_skip += 1
                else:
                    n_ok += 1
        if t.get('result') not in ('OK', 'SKIP', 'EXPECTEDFAIL') and n_bad == 0:
            n_bad = 1  # crashed or timed out without a failing line
        passed += n_ok
        failed += n_bad
        skipped += n_skip
print(f'{passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed or passed == 0 else 0)
