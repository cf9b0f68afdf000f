"""Clients for the fault runs, shared by tests/load/ and bench/slow_clients.py: one timed
request on a new connection, a probe that gives up at once, and slow clients (connections that
send nothing, or almost nothing: the ones that stall a gunicorn served without a buffering
proxy)."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

HOST = "127.0.0.1"
# A request cut off in its headers, and one cut off in its body.
PARTIAL_HEADERS = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"
PARTIAL_BODY = (
    b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 1000\r\n\r\n{"username": '
)


@contextlib.contextmanager
def slow_clients(port: int, count: int, *, idle: bool = False) -> Iterator[list[socket.socket]]:
    """`count` connections to `port`, kept open until the block ends. With `idle` they send
    nothing; otherwise a third send nothing, a third stop in the middle of their headers and a
    third in the middle of their body."""
    connections: list[socket.socket] = []
    try:
        for number in range(count):
            connection = socket.create_connection((HOST, port), timeout=10)
            connections.append(connection)
            if not idle and number % 3 == 1:
                connection.sendall(PARTIAL_HEADERS)
            elif not idle and number % 3 == 2:
                connection.sendall(PARTIAL_BODY)
        yield connections
    finally:
        for connection in connections:
            connection.close()


class NoAnswer(AssertionError):
    """No answer within the time allowed."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> dict:
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One request on a new connection; NoAnswer if none comes within `timeout` seconds."""
    began = time.monotonic()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
    except TimeoutError:
        raise NoAnswer(f"{method} {path}: no answer within {timeout} s") from None
    finally:
        connection.close()
    return Answer(response.status, dict(response.getheaders()), data, time.monotonic() - began)


def abandon_probe(port: int) -> None:
    """A health probe that sends its request and goes away without waiting for the answer."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    connection.request("GET", "/healthz")
    connection.close()
