"""Request bodies the API refuses with a 400 before any view sees them: JSON nested deeper than any
of our contracts (Python's parser would hit its recursion limit and answer 500) and text with NUL
characters (PostgreSQL cannot store them, and a lookup with one fails)."""

from __future__ import annotations

import io

from django.http import HttpResponseBadRequest
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32  # a design spec is 4 levels deep; a batch of them 6


def json_depth(raw: bytes) -> int:
    """The deepest nesting of [ and { outside strings, without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def nul_path(value) -> str | None:
    """Where in parsed JSON a string (key or value) holds a NUL character; None when none does."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in str(key):
                    return f"{path}.{key!r}" if path else repr(key)
                stack.append((f"{path}.{key}" if path else str(key), child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if json_depth(raw) > MAX_DEPTH:
            raise ParseError(f"JSON nested more than {MAX_DEPTH} levels deep is not accepted.")
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        where = nul_path(data)
        if where is not None:
            raise ParseError(f"{where}: NUL characters (\\u0000) are not allowed in text.")
        return data


class NulCharacterMiddleware:
    """Form posts and query strings with a NUL character get a 400 naming the field, for every page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        content_type = request.META.get("CONTENT_TYPE", "")
        sources = [request.GET]
        if request.method == "POST" and content_type.startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")
        ):
            sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return HttpResponseBadRequest(f"{key.replace(chr(0), '')}: NUL characters are not allowed in text.")
        return self.get_response(request)
