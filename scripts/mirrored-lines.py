#!/usr/bin/env python3
"""How much of the SQLite store is mirrored in the PostgreSQL store (issue 11's figure).

Each crates/hillpost-store/src/sqlite/X.rs is matched against postgres/X.rs: trimmed
non-blank lines, `?N` read as `$N`, the words sqlite/postgres/pg ignored (case folded),
difflib's matching blocks counted. Prints per file and in total, then what the mirrored
lines are: `use`/`mod` declarations, lone closing punctuation, `impl` headers, comments,
and the rest (code: method signatures, statements' shared fragments, calls):
    python3 scripts/mirrored-lines.py [crates/hillpost-store/src]
"""

import collections
import difflib
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "crates/hillpost-store/src"
backend_words = re.compile(r"(?i)sqlite|postgres|pg")


def lines(path):
    out = []
    for line in open(path, encoding="utf-8"):
        text = line.strip()
        if text:
            out.append(backend_words.sub("B", re.sub(r"\?(\d+)", r"$\1", text)))
    return out




def kind(line):
    if line.startswith(("use ", "mod ", "pub use ", "pub(crate) use ", "pub(crate) mod ")):
        return "declaration"
    if re.fullmatch(r"[})\];,]+", line):
        return "closing punctuation"
    if line.startswith("impl"):
        return "impl header"
    if line.startswith("//"):
        return "comment"
    return "code"


kinds = collections.Counter()
total = mirrored = 0
for name in sorted(os.listdir(f"{root}/sqlite")):
    mine = lines(f"{root}/sqlite/{name}")
    total += len(mine)
    twin = f"{root}/postgres/{name}"
    same = 0
    if os.path.exists(twin):
        matcher = difflib.SequenceMatcher(None, mine, lines(twin), autojunk=False)
        blocks = matcher.get_matching_blocks()
        same = sum(block.size for block in blocks)
        for block in blocks:
            kinds.update(kind(line) for line in mine[block.a : block.a + block.size])
    mirrored += same
    print(f"{name:16} {len(mine):5} {same:5} {100 * same / max(len(mine), 1):5.1f}%")
print(f"mirrored {mirrored} of {total} = {100 * mirrored / total:.1f} %")
for name, count in kinds.most_common():
    print(f"  {name:20} {count:5} ({100 * count / total:.1f} % of the SQLite store's lines)")
