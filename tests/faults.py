"""Servers that fail, for the fault tests: a port where nothing listens, and a server that
accepts connections and never answers."""

import contextlib
import socket
from collections.abc import Iterator

HOST = "127.0.0.1"


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A local port where nothing listens, so connections are refused at once. The socket
    stays bound (never listening) so that nothing else takes the port meanwhile."""
    with socket.socket() as bound:
        bound.bind((HOST, 0))
        yield bound.getsockname()[1]


class SilentServer:
    """Accepts connections and never sends a byte, as a hung database or Redis server does.

    The kernel completes each connection into the listening backlog, so clients connect and
    send; nothing is ever read or answered. `connections()` counts the connections made so far
    (it accepts them, and closes them: a client still waiting then sees the connection end).
    """

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind((HOST, 0))
        self._socket.listen(1024)
        self._socket.setblocking(False)
        self.port = self._socket.getsockname()[1]
        self._accepted = 0

    def connections(self) -> int:
        while True:
            try:
                connection, _ = self._socket.accept()
            except BlockingIOError:
                return self._accepted
            connection.close()
            self._accepted += 1

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> "SilentServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
