"""Marking a question's quotes inside the paragraph they come from (for `<mark>`)."""


def mark_quotes(text: str, quotes: list[str]) -> list[tuple[str, bool]]:
    """Split `text` into (segment, is_quoted) pairs, marking the first occurrence of each quote.

    Quotes are verbatim by the content rules; a case-insensitive match is accepted too. A
    quote not found in the text marks nothing (the paragraph is still flagged as cited).
    """
    folded = text.casefold()
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        quote = quote.strip()
        if not quote:
            continue
        needle = quote.casefold() if len(quote.casefold()) == len(quote) else None
        start = text.find(quote)
        if start < 0 and needle is not None and len(folded) == len(text):
            start = folded.find(needle)
        if start >= 0:
            spans.append((start, start + len(quote)))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    segments: list[tuple[str, bool]] = []
    position = 0
    for start, end in merged:
        if start > position:
            segments.append((text[position:start], False))
        segments.append((text[start:end], True))
        position = end
    if position < len(text) or not segments:
        segments.append((text[position:], False))
    return segments
