"""Django's own WSGI server with a bounded pool of threads, for the load test where neither
gunicorn nor waitress is installed.

    python loadtest/serve.py 127.0.0.1:8000 --threads 8

`runserver` starts a thread for every connection and keeps it for the connection's life: with 50
clients, 50 threads share the CPU and the one holding a database lock runs at 1/50 of a core.
Here at most `--threads` requests run at once and the others wait in the listen queue, as with
waitress; each response closes its connection (Django's handler does so for a server that is not
a ThreadingMixIn), so a waiting client gets the next free thread. Same application, middleware and
handler as runserver (`django.core.servers.basehttp`), without the autoreloader.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addrport", help="host:port")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    host, _sep, port = args.addrport.rpartition(":")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenderwatch.settings")
    import django

    django.setup()
    from django.core.servers.basehttp import (
        WSGIRequestHandler,
        WSGIServer,
        get_internal_wsgi_application,
    )

    class PooledWSGIServer(WSGIServer):
        request_queue_size = 256

        def __init__(self, *a: Any, threads: int, **kw: Any) -> None:
            super().__init__(*a, **kw)
            self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")

        def process_request(self, request: Any, client_address: Any) -> None:
            self.pool.submit(self._work, request, client_address)

        def _work(self, request: Any, client_address: Any) -> None:
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    server = PooledWSGIServer(
        (host or "127.0.0.1", int(port)),
        WSGIRequestHandler,
        ipv6=False,
        threads=args.threads,
    )
    server.set_app(get_internal_wsgi_application())
    print(f"serving on http://{host}:{port} with {args.threads} threads", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.pool.shutdown(wait=False, cancel_futures=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
