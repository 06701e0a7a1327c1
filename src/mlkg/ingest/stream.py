"""Reading JSON inputs one entity document at a time, so memory is bounded by a document, not by the input.

- A JSON array (``[{...}, {...}]``) yields its elements, pointers ``/0``, ``/1``, ...;
- an object with ``@graph`` yields the elements of ``@graph`` (``/@graph/0``, ...) with the object's
  ``@context``, which must come before ``@graph`` to apply to the elements (it always does in what mlkg
  writes); other keys beside ``@graph`` are reported as ignored;
- any other top-level value is one document (pointer ``""``);
- JSON Lines (``.jsonl`` / ``.ndjson``): one document per line, line N+1 has pointer ``/N``; blank lines
  are skipped; a malformed line rejects that line only.

Values are decoded by the standard library's decoder (:meth:`json.JSONDecoder.raw_decode`), with the same
refusal of ``NaN`` / ``Infinity`` as whole-input parsing; errors name the line and column in the whole input.
A malformed JSON array or object ends its input (the documents before the error are kept); each document is
limited to ``max_bytes`` (``MLKG_MAX_DOCUMENT_BYTES``), the input as a whole is not.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from mlkg.errors import InputError, ParseError, PayloadTooLargeError
from mlkg.ingest.limits import MAX_JSON_DEPTH
from mlkg.ingest.normalize import json_pointer

__all__ = ["Ignored", "JsonItem", "json_items", "json_lines"]

_CHUNK = 1 << 16
_WHITESPACE = " \t\n\r"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


@dataclass(frozen=True)
class JsonItem:
    """One top-level document of a JSON input: its JSON pointer, its value, and the ``@context`` it inherits
    from an enclosing ``@graph`` object (None if none)."""

    pointer: str
    value: Any
    inherited: Any = None


class _Text:
    """A growing window on a binary stream decoded as UTF-8, with line counting for error positions."""

    def __init__(self, stream: IO[bytes], *, name: str) -> None:
        self._stream = stream
        self._name = name
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._offset = 0  # bytes read so far, for messages
        self.text = ""
        self.pos = 0
        self.eof = False
        self._lines_before = 0  # newlines in the text already dropped
        self._dropped = 0  # characters dropped before text[0]

    def fill(self, at_least: int = _CHUNK) -> bool:
        """Read at least ``at_least`` more bytes (or to the end); False at the end of the stream.

        :raises ParseError: if the bytes are not UTF-8.
        """
        if self.eof:
            return False
        if self.pos > _CHUNK and self.pos > len(self.text) // 2:  # drop what was consumed
            self._lines_before += self.text.count("\n", 0, self.pos)
            self._dropped += self.pos
            self.text, self.pos = self.text[self.pos :], 0
        data = self._stream.read(max(at_least, _CHUNK))
        try:
            self.text += self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            offset = self._offset + error.start
            byte = error.object[error.start]
            raise ParseError(
                f"{self._name} is not valid UTF-8: byte 0x{byte:02x} at offset {offset}", where=self._name
            ) from error
        self._offset += len(data)
        if not data:
            self.eof = True
        return bool(data)

    def peek(self) -> str | None:
        """The next character that is not white space (not consumed), None at the end."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return None

    def position(self, index: int) -> str:
        """``line L column C`` of the character at ``index`` of the window, in the whole input."""
        line = self._lines_before + self.text.count("\n", 0, index) + 1
        column = index - self.text.rfind("\n", 0, index)
        return f"line {line} column {column}"

    def fail(self, message: str, *, index: int | None = None) -> ParseError:
        at = self.pos if index is None else index
        return ParseError(f"malformed JSON: {message} at {self.position(at)}", where=self._name)

    def value(self, *, max_bytes: int, pointer: str) -> Any:
        """Decode the JSON value at the current position and move past it.

        :raises ParseError: malformed JSON (at the end of the input: it cannot be completed).
        :raises PayloadTooLargeError: the value passes ``max_bytes`` (it is not read to its end).
        """
        while True:
            self.peek()
            start = self.pos
            try:
                value, end = _DECODER.raw_decode(self.text, start)
            except json.JSONDecodeError as error:
                failure = self.fail(error.msg, index=error.pos)  # before fill moves the window
                if len(self.text) - start > max_bytes:  # more than a document's worth, still not a value
                    if error.msg.startswith("Unterminated") or error.pos >= len(self.text) - 1:
                        raise _too_large(max_bytes, pointer=pointer) from error
                    raise failure from error
                if not self.fill(at_least=len(self.text) - start):
                    raise failure from error
                continue
            except ValueError as error:  # NaN / Infinity
                raise ParseError(f"malformed JSON: {error}", where=self._name) from error
            except RecursionError as error:  # nested far deeper than any document (limits.MAX_JSON_DEPTH)
                message = f"the document is nested more than {MAX_JSON_DEPTH} levels deep"
                raise ParseError(message, where=pointer) from error
            if end == len(self.text) and self.fill():
                continue  # a number may go on in the next chunk
            if end - start > max_bytes // 4 and len(self.text[start:end].encode("utf-8")) > max_bytes:
                raise _too_large(max_bytes, pointer=pointer)
            self.pos = end
            return value

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            raise self.fail(f"Expecting {what}")
        self.pos += 1


def _too_large(max_bytes: int, *, pointer: str) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the document is more than the limit of {max_bytes} bytes (MLKG_MAX_DOCUMENT_BYTES)", where=pointer
    )


def json_items(*, stream: IO[bytes], name: str, max_bytes: int) -> Iterator[JsonItem | Ignored | InputError]:
    """The top-level documents of a JSON input (see the module docstring), read as they are needed.

    Problems are yielded, not raised, and end the input: a document over ``max_bytes`` (a
    :class:`PayloadTooLargeError` whose ``where`` is its JSON pointer), malformed JSON, empty input or
    invalid UTF-8 (a :class:`ParseError` whose ``where`` is ``name``).
    """
    text = _Text(stream, name=name)
    try:
        first = text.peek()
        if first is None:
            yield ParseError(f"{name} is empty", where=name)
            return
        if first == "[":
            text.pos += 1
            yield from _elements(text, prefix="", inherited=None, max_bytes=max_bytes, name=name)
        elif first == "{":
            yield from _object(text, max_bytes=max_bytes, name=name)
        else:
            yield JsonItem(pointer="", value=text.value(max_bytes=max_bytes, pointer=""))
        if text.peek() is not None:
            yield text.fail("Extra data")
    except InputError as error:
        yield error


def _elements(
    text: _Text, *, prefix: str, inherited: Any, max_bytes: int, name: str
) -> Iterator[JsonItem | Ignored | InputError]:
    """The elements of an array whose ``[`` was just consumed, up to and including its ``]``."""
    index = 0
    if text.peek() == "]":
        text.pos += 1
        yield ParseError(f"{name} contains no entity documents", where=name)
        return
    while True:
        pointer = json_pointer(prefix, index)
        value = text.value(max_bytes=max_bytes, pointer=pointer)
        yield JsonItem(pointer=pointer, value=value, inherited=inherited)
        index += 1
        after = text.peek()
        if after == ",":
            text.pos += 1
        elif after == "]":
            text.pos += 1
            return
        else:
            raise text.fail("Expecting ',' delimiter")


def _object(text: _Text, *, max_bytes: int, name: str) -> Iterator[JsonItem | Ignored | InputError]:
    """A top-level object: the elements of its ``@graph``, or the object itself as one document."""
    text.pos += 1
    members: dict[str, Any] = {}
    streamed = False
    while True:
        if text.peek() == "}" and not members and not streamed:
            text.pos += 1
            break
        key_at = text.pos
        if text.peek() != '"':
            raise text.fail("Expecting property name enclosed in double quotes")
        key = text.value(max_bytes=max_bytes, pointer="")
        text.expect(":", "':' delimiter")
        if key == "@graph" and text.peek() == "[":
            text.pos += 1
            streamed = True
            yield from _elements(
                text, prefix="/@graph", inherited=members.get("@context"), max_bytes=max_bytes, name=name
            )
        else:
            if key == "@context" and streamed:
                raise text.fail(
                    "@context must come before @graph in a document mlkg reads as a stream", index=key_at
                )
            members[key] = text.value(max_bytes=max_bytes, pointer=json_pointer("", key))
        after = text.peek()
        if after == ",":
            text.pos += 1
            continue
        if after == "}":
            text.pos += 1
            break
        raise text.fail("Expecting ',' delimiter")
    if streamed:
        for key in members:
            if key != "@context":
                yield Ignored(key)
        return
    if "@graph" in members:  # a @graph that is not an array: one node
        graph = members["@graph"]
        for index, item in enumerate(graph if isinstance(graph, list) else [graph]):
            yield JsonItem(
                pointer=json_pointer("/@graph", index), value=item, inherited=members.get("@context")
            )
        for key in members:
            if key not in ("@context", "@graph"):
                yield Ignored(key)
        return
    yield JsonItem(pointer="", value=members)


@dataclass(frozen=True)
class Ignored:
    """A top-level key beside ``@graph``: reported as a notice."""

    key: str

    @property
    def pointer(self) -> str:
        return json_pointer("", self.key)

    @property
    def message(self) -> str:
        return f"top-level key {self.key!r} beside @graph was ignored"


def json_lines(
    *, stream: IO[bytes], name: str, max_bytes: int, first_index: int = 0
) -> Iterator[JsonItem | Ignored | InputError]:
    """The documents of a JSON Lines input, one per line (see the module docstring). A line over
    ``max_bytes`` or malformed is yielded as an error with its pointer, and reading goes on. The first line
    is numbered ``first_index`` (a stream read in parts)."""
    index = first_index - 1
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            break
        index += 1
        pointer = f"/{index}"
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest of the line
                line = stream.readline(_CHUNK)
            yield _too_large(max_bytes, pointer=pointer)
            continue
        try:
            text = line.decode("utf-8-sig" if index == first_index else "utf-8")
        except UnicodeDecodeError as error:
            yield ParseError(
                f"line {index + 1} is not valid UTF-8: byte 0x{line[error.start]:02x}", where=pointer
            )
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text.rstrip("\r\n"), parse_constant=_reject_constant)
        except json.JSONDecodeError as error:
            yield ParseError(
                f"malformed JSON: {error.msg} at line {index + 1} column {error.colno}", where=pointer
            )
            continue
        except ValueError as error:
            yield ParseError(f"malformed JSON: {error}", where=pointer)
            continue
        except RecursionError:
            message = f"line {index + 1} is nested more than {MAX_JSON_DEPTH} levels deep"
            yield ParseError(message, where=pointer)
            continue
        yield JsonItem(pointer=pointer, value=value)
    if index < first_index:
        yield ParseError(f"{name} is empty", where=name)
