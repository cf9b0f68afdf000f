"""Idle and slow clients do not stall the app behind the documented nginx (deploy/nginx.conf).

gunicorn's gthread workers give a connection a thread while they read its request: served
alone, 16 idle clients already delay every request by about 10 s, and 150 by minutes
(`python -m bench slow_clients` measures it). The deployment therefore requires nginx in front
(docs/deploy.md); here it is, with 150 such clients, and the health check answers at once.
"""

import time

from tests.load.clients import request, slow_clients
from tests.load.harness import LoadDatabase, Server
from tests.load.nginx import Nginx

STARTUP_TIMEOUT = 60.0
SLOW_CLIENTS = 150
ANSWER_WITHIN = 5.0  # seconds; a request without slow clients around takes milliseconds


def test_behind_the_documented_nginx_150_slow_clients_do_not_stall_the_app(tmp_path, print_at_end):
    with LoadDatabase() as database:
        server = Server(database.url, tmp_path / "gunicorn.log", {})
        try:
            server.wait_listening(time.monotonic() + STARTUP_TIMEOUT)
            server.wait_healthy(time.monotonic() + STARTUP_TIMEOUT)
            proxy_directory = tmp_path / "nginx"
            proxy_directory.mkdir()
            with Nginx(proxy_directory, server.port) as proxy:
                with slow_clients(proxy.http_port, SLOW_CLIENTS):
                    health = request(proxy.http_port, "GET", "/healthz", timeout=ANSWER_WITHIN)
                    assert health.status == 200, health.body
                    assert health.json()["database"] == "ok"
                    home = request(proxy.http_port, "GET", "/", timeout=ANSWER_WITHIN)
                    assert home.status == 200
                    assert b"Log in" in home.body
                print_at_end(
                    f"behind nginx with {SLOW_CLIENTS} idle or slow clients: /healthz in "
                    f"{health.seconds * 1000:.0f} ms, / in {home.seconds * 1000:.0f} ms"
                )
        finally:
            server.stop()
