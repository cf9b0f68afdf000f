"""The documented nginx (deploy/nginx.conf), run unprivileged in a temporary directory.

`render()` turns the shipped file into one that listens on free local ports, proxies to a given
gunicorn port and uses a throw-away self-signed certificate; every replaced line must be found
exactly once, so the test breaks when the shipped file changes shape rather than testing
something else. `Nginx` writes a main configuration around it, checks it with `nginx -t` and
runs it in the foreground, in its own process group, until stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "nginx.conf"
HOST = "127.0.0.1"
START_TIMEOUT = 20.0


def nginx_binary() -> str:
    """Debian's nginx (/usr/sbin is not on every user's PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError(
            "nginx is not installed: the deployment tests run the documented nginx "
            "configuration. Install it with 'sudo apt-get install nginx'."
        )
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return certificate, key


def render(
    text: str, *, http_port: int, https_port: int, app_port: int, certificate: Path, key: Path
) -> str:
    replacements = {
        "    listen 80;\n": f"    listen {HOST}:{http_port};\n",
        "    listen 443 ssl;\n": f"    listen {HOST}:{https_port} ssl;\n",
        "    server 127.0.0.1:8000;\n": f"    server {HOST}:{app_port};\n",
        "/etc/letsencrypt/live/quiz.example.com/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/quiz.example.com/privkey.pem": str(key),
    }
    for old, new in replacements.items():
        count = text.count(old)
        if count != 1:
            raise AssertionError(f"deploy/nginx.conf: expected {old.strip()!r} once, not {count}")
        text = text.replace(old, new)
    return text


class Nginx:
    """deploy/nginx.conf in front of the gunicorn at `app_port`, on free local ports."""

    def __init__(self, directory: Path, app_port: int):
        self.directory = directory
        self.http_port, self.https_port = free_port(), free_port()
        certificate, key = self_signed_certificate(directory)
        site = render(
            SHIPPED.read_text(),
            http_port=self.http_port,
            https_port=self.https_port,
            app_port=app_port,
            certificate=certificate,
            key=key,
        )
        (directory / "quizapp.conf").write_text(site)
        temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(exist_ok=True)
        # As root, nginx's workers would otherwise run as nobody, who cannot use this directory.
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.config = directory / "nginx.conf"
        self.config.write_text(
            f"{user}worker_processes 1;\npid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n    access_log off;\n"
            f"    client_body_temp_path {temp['body']};\n"
            f"    proxy_temp_path {temp['proxy']};\n"
            f"    fastcgi_temp_path {temp['fastcgi']};\n"
            f"    uwsgi_temp_path {temp['uwsgi']};\n"
            f"    scgi_temp_path {temp['scgi']};\n"
            f"    include {directory / 'quizapp.conf'};\n"
            "}\n"
        )
        self.process: subprocess.Popen | None = None

    def command(self, *args: str) -> list[str]:
        # -e: the error log from the start, not the packaged path an unprivileged user cannot open
        error_log = str(self.directory / "error.log")
        return [
            nginx_binary(),
            "-p",
            str(self.directory),
            "-e",
            error_log,
            "-c",
            str(self.config),
            *args,
        ]

    def check(self) -> subprocess.CompletedProcess:
        """`nginx -t`: the configuration is valid (its output is on stderr)."""
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command("-g", "daemon off;"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.http_port), 1):
                return
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not start listening:\n{self.log_tail()}")

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.directory / "error.log").read_text(errors="replace")[-4000:]
        return ""

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
