#!/usr/bin/env python3
"""Derives the Simplified edition (zh-CN) from the Traditional one (zh-TW), repeatably.

zh-TW is written by hand; zh-CN is never edited by hand. Each translated message, and each
localized picture, goes through OpenCC's `tw2sp` (Taiwan script and vocabulary to Mainland:
伺服器 → 服务器, 網路 → 网络, 程式 → 程序), then through `zh-CN-words.tsv`, the reviewed list of
words OpenCC leaves in Taiwan usage or converts to a dated one (缺省 → 默认). Traditional to
Simplified is many-to-one for characters, so only vocabulary needs review.

    python3 docs/po/derive-zh-CN.py          # writes docs/po/zh-CN.po and images/zh-CN/
    python3 docs/po/derive-zh-CN.py --check  # fails if they differ from what is committed
"""

import os
import re
import subprocess
import sys
import tempfile

import po

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.dirname(HERE)
IMAGES = os.path.join(DOCS, "src", "images")


def opencc(texts):
    """Converts each text (one line each: PO strings hold `\\n`, never a newline)."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(texts) + "\n")
        name = f.name
    try:
        out = subprocess.run(
            ["opencc", "-c", "tw2sp.json", "-i", name],
            check=True, capture_output=True, text=True, encoding="utf-8",
        ).stdout
    finally:
        os.unlink(name)
    lines = out.split("\n")[: len(texts)]
    if len(lines) != len(texts):
        sys.exit("opencc returned a different number of lines")
    return lines


def word_list():
    """The reviewed corrections, applied after OpenCC, longest first, in one pass."""
    pairs = []
    with open(os.path.join(HERE, "zh-CN-words.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            taiwan, mainland = line.split("\t")[:2]
            pairs.append((taiwan, mainland))
    table = dict(pairs)
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda m: table[m.group(0)], text)


def convert(texts):
    fix = word_list()
    return [fix(t).replace("images/zh-TW/", "images/zh-CN/") for t in opencc(texts)]


def derive_po(target):
    entries = po.read(os.path.join(HERE, "zh-TW.po"))
    todo = [e for e in entries[1:] if e.msgstr and e.msgstr != e.msgid]
    for e, text in zip(todo, convert([e.msgstr for e in todo])):
        e.msgstr = text
    header = entries[0]
    header.msgstr = header.msgstr.replace("Language: zh-TW", "Language: zh-CN").replace(
        "Language-Team: Traditional Chinese", "Language-Team: Simplified Chinese"
    )
    po.write(target, entries)
    subprocess.run(["msgcat", "-o", target, target], check=True)


def derive_svgs(target_dir):
    os.makedirs(target_dir, exist_ok=True)
    source_dir = os.path.join(IMAGES, "zh-TW")
    names = sorted(n for n in os.listdir(source_dir) if n.endswith(".svg"))
    files = []
    for name in names:
        with open(os.path.join(source_dir, name), encoding="utf-8") as f:
            files.append(f.read().split("\n"))
    fonts = [("PingFang TC", "PingFang SC"), ("Microsoft JhengHei", "Microsoft YaHei"),
             ("Noto Sans CJK TC", "Noto Sans CJK SC")]
    # One SVG line per OpenCC line: each label sits on a line of its own.
    converted = iter(convert([line for lines in files for line in lines]))
    for name, lines in zip(names, files):
        text = "\n".join(next(converted) for _ in lines)
        for taiwan, mainland in fonts:
            text = text.replace(taiwan, mainland)
        with open(os.path.join(target_dir, name), "w", encoding="utf-8") as f:
            f.write(text)
    return names


def main():
    check = "--check" in sys.argv[1:]
    if not check:
        derive_po(os.path.join(HERE, "zh-CN.po"))
        names = derive_svgs(os.path.join(IMAGES, "zh-CN"))
        print(f"wrote docs/po/zh-CN.po and {len(names)} pictures in docs/src/images/zh-CN")
        return
    with tempfile.TemporaryDirectory() as tmp:
        derive_po(os.path.join(tmp, "zh-CN.po"))
        derive_svgs(os.path.join(tmp, "images"))
        stale = []
        if open(os.path.join(tmp, "zh-CN.po"), encoding="utf-8").read() != open(
            os.path.join(HERE, "zh-CN.po"), encoding="utf-8"
        ).read():
            stale.append("docs/po/zh-CN.po")
        committed = os.path.join(IMAGES, "zh-CN")
        made = sorted(os.listdir(os.path.join(tmp, "images")))
        have = sorted(os.listdir(committed)) if os.path.isdir(committed) else []
        if made != have:
            stale.append("docs/src/images/zh-CN (pictures missing or extra)")
        for name in made:
            if name in have and open(os.path.join(tmp, "images", name), encoding="utf-8").read() != open(
                os.path.join(committed, name), encoding="utf-8"
            ).read():
                stale.append(f"docs/src/images/zh-CN/{name}")
        if stale:
            sys.exit(
                "the Simplified edition is not what the Traditional one converts to: "
                + ", ".join(stale)
                + "\nrun `python3 docs/po/derive-zh-CN.py` and commit the result "
                "(edit zh-TW.po or zh-CN-words.tsv, never zh-CN.po)"
            )
        print("zh-CN is derived from zh-TW: up to date")


if __name__ == "__main__":
    main()
