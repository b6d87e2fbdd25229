"""A stand-in for Mailpit (tools/registryless): SMTP on 1025, every message kept in memory,
listed on http://…:8025/api/v1/messages as Mailpit's API lists them (MessageID, To, Subject);
`mailpit readyz` is the healthcheck compose.yaml runs. Stops on SIGTERM (docker stop)."""

import json
import signal
import sys
import urllib.request
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if sys.argv[1:] == ["readyz"]:
    with urllib.request.urlopen("http://127.0.0.1:8025/readyz", timeout=3) as answer:
        sys.exit(answer.status != 200)

from aiosmtpd.controller import Controller  # noqa: E402

MESSAGES = []


class Handler:
    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        MESSAGES.append({
            "MessageID": (message.get("Message-ID") or "").strip("<> "),
            "To": [{"Address": address} for address in envelope.rcpt_tos],
            "Subject": str(make_header(decode_header(message.get("Subject", "")))),
        })
        return "250 OK"


class Web(BaseHTTPRequestHandler):
    def do_GET(self):
        listed = {"total": len(MESSAGES), "messages": MESSAGES}
        body = b"ok" if self.path == "/readyz" else json.dumps(listed).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain" if self.path == "/readyz"
                         else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
Controller(Handler(), hostname="0.0.0.0", port=1025).start()
ThreadingHTTPServer(("0.0.0.0", 8025), Web).serve_forever()
