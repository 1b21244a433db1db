"""Reads and writes the PO files of this book, for the scripts beside it (stdlib only).

A PO file as msgcat writes it: entries separated by blank lines, each made of `#` comment
lines, `msgid "..."` and `msgstr "..."`, either possibly continued on `"..."` lines.
"""

import re

_PIECE = re.compile(r'^(?:(msgid|msgstr|msgctxt) )?"(.*)"$')


class Entry:
    def __init__(self, comments, msgid, msgstr, msgctxt=None):
        self.comments = comments  # the `#...` lines, as they are
        self.msgid = msgid  # the escaped string, as in the file, joined
        self.msgstr = msgstr
        self.msgctxt = msgctxt

    @property
    def fuzzy(self):
        return any(c.startswith("#,") and "fuzzy" in c for c in self.comments)

    def sources(self):
        """The `src/file.md` paths of the `#:` references, in order."""
        found = []
        for c in self.comments:
            if c.startswith("#:"):
                found += [ref.rsplit(":", 1)[0] for ref in c[2:].split()]
        return found

    def render(self):
        lines = list(self.comments)
        if self.msgctxt is not None:
            lines.append(f'msgctxt "{self.msgctxt}"')
        lines.append(f'msgid "{self.msgid}"')
        lines.append(f'msgstr "{self.msgstr}"')
        return "\n".join(lines)


def read(path):
    """Returns the entries of a PO file; the header is the first, with an empty msgid."""
    entries = []
    with open(path, encoding="utf-8") as f:
        blocks = f.read().strip().split("\n\n")
    for block in blocks:
        comments, parts, key = [], {"msgid": "", "msgstr": "", "msgctxt": None}, None
        for line in block.split("\n"):
            if line.startswith("#"):
                comments.append(line)
                continue
            m = _PIECE.match(line)
            if not m:
                raise ValueError(f"{path}: cannot read the line {line!r}")
            if m.group(1):
                key = m.group(1)
                parts[key] = m.group(2)
            else:
                parts[key] += m.group(2)
        entries.append(Entry(comments, parts["msgid"], parts["msgstr"], parts["msgctxt"]))
    return entries


def write(path, entries):
    """Writes entries one string per line; run `msgcat` afterwards to wrap them as usual."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n\n".join(e.render() for e in entries) + "\n")


_CODE_SPAN = re.compile(r"`[^`]*`")


def is_code(msgid):
    """True for a message that is code, not prose: it stays English in every edition.

    mdbook-xgettext extracts a code block's comments and string literals as messages of
    their own, and whole ```text blocks (program output); other code messages hold only
    inline code, numbers and punctuation.
    """
    if msgid.startswith(("//", "# ", 'b\\"', "```", "#!")):
        return True  # a comment (a heading's `#` never reaches a message), bytes, a block
    if re.fullmatch(r'"(?:[^"\\]|\\.)*"', unescape(msgid), re.S):
        return True  # one string literal, and nothing after it
    rest = _CODE_SPAN.sub("", msgid)
    rest = re.sub(r"\\[nt\"]", " ", rest)
    return not re.search(r"[A-Za-z\u4e00-\u9fff]", rest)


def without_fuzzy(comments):
    """The comment lines with the `fuzzy` flag taken out of the `#,` line."""
    kept = []
    for c in comments:
        if c.startswith("#,"):
            flags = [f.strip() for f in c[2:].split(",") if f.strip() != "fuzzy"]
            if not flags:
                continue
            c = "#, " + ", ".join(flags)
        kept.append(c)
    return kept


def unescape(text):
    """The text a PO string stands for (`\\"` is a quote, `\\\\` a backslash)."""
    table = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), text)
