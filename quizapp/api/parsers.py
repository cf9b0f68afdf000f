"""The API's one body parser: JSON that is text a client could mean, or 400 `parse_error`."""

import codecs
import json
import math
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from quizapp.unicode_text import NOT_TEXT, not_text_problem

MAX_INTEGER_DIGITS = 1000
MAX_PATH_PART = 40


def _strict_constant(name: str) -> Any:
    raise ParseError(f"JSON parse error - {name} is not a JSON number.")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ParseError(f"JSON parse error - the number {text[:20]} is out of range.")
    return value


def _parse_int(text: str) -> int:
    if len(text) > MAX_INTEGER_DIGITS:
        raise ParseError(
            f"JSON parse error - a number has too many digits (more than {MAX_INTEGER_DIGITS})."
        )
    return int(text)


def _shown(name: str) -> str:
    """A name as a message may show it: escaped where it is not text, and short."""
    name = name[:MAX_PATH_PART]
    if NOT_TEXT.search(name):
        name = name.encode("unicode_escape").decode("ascii")
    return name


def check_text(data: Any) -> None:
    """ParseError naming the first string (a value or a name) that is not Unicode text.

    Iterative, so however deep the document nests, this never recurses."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if NOT_TEXT.search(node):
                where = f"the string at {path}" if path else "the body"
                raise ParseError(f"JSON parse error - {where} {not_text_problem(node)}.")
        elif isinstance(node, dict):
            for key, value in node.items():
                if NOT_TEXT.search(key):
                    where = f"a name in the object at {path}" if path else "a name in the body"
                    raise ParseError(
                        f"JSON parse error - {where} ({_shown(key)}) {not_text_problem(key)}."
                    )
                stack.append((value, f"{path}.{_shown(key)}" if path else _shown(key)))
        elif isinstance(node, list):
            stack.extend(
                (item, f"{path}.{index}" if path else str(index)) for index, item in enumerate(node)
            )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, stricter about what it lets through as 400 `parse_error` (where DRF
    would let a 500 happen later): nesting too deep for Python's decoder (RecursionError),
    NaN and Infinity, numbers out of a double's range or with absurdly many digits, lone
    surrogates and NUL characters in any string or name."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=_strict_constant,
                parse_float=_parse_float,
                parse_int=_parse_int,
            )
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        check_text(data)
        return data
