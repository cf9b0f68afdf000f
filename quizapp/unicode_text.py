"""What counts as text a learner or teacher could mean, and a database can store.

Escapes (JSON's "\\ud800", "\\u0000") can spell strings that are not Unicode text: a lone UTF-16
surrogate cannot be encoded, so storing or echoing it fails, and no text column (PostgreSQL's
text and jsonb included) takes a NUL. Every way text comes in by escapes checks it here: the
API's JSON parser and the question importer's metadata.
"""

import re

NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def not_text_problem(text: str) -> str | None:
    """What makes `text` no text ("contains a NUL character …"), or None when it is text."""
    found = NOT_TEXT.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "contains a NUL character (\\u0000), which no text may contain"
    return (
        f"contains a lone UTF-16 surrogate ({char.encode('unicode_escape').decode('ascii')}), "
        "which is not text: send valid Unicode (a surrogate needs its pair)"
    )
