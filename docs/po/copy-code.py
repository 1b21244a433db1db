#!/usr/bin/env python3
"""Fills each untranslated code message of a PO file with its English text.

Code, commands and program output stay as they are in every edition, and so do the comments
inside included code (see po.py's `is_code`). Run it after `msgmerge` has brought in new
messages, then translate what is still empty:

    python3 docs/po/copy-code.py docs/po/zh-TW.po
"""

import subprocess
import sys

import po


def main(path):
    entries = po.read(path)
    filled = 0
    for e in entries[1:]:
        if (not e.msgstr or e.fuzzy) and po.is_code(e.msgid):
            e.msgstr = e.msgid
            e.comments = [c for c in po.without_fuzzy(e.comments) if not c.startswith("#|")]
            filled += 1
    po.write(path, entries)
    subprocess.run(["msgcat", "-o", path, path], check=True)
    print(f"{path}: {filled} code messages copied")


if __name__ == "__main__":
    main(sys.argv[1])
