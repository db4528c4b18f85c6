#!/usr/bin/env python3
"""A webhook receiver for realtime-analytics alerts: prints each notification as it arrives and checks it.

Checks every POST the way a production receiver should: the X-Signature-256 header against the HMAC-SHA256 of the
raw body under --secret, and Idempotency-Key against the body's id. A notification id seen before is answered 200
and reported as a duplicate (the sender retried after a crash or a lost answer), never acted on twice.

--refuse N answers 503 to the first N attempts of every id (to see the sender's retries), --always STATUS answers
STATUS to every attempt (to see dead letters); --record FILE appends one
JSON line per attempt (id, received_ms, accepted, duplicate, signature_ok, body) for tests to read.

  python3 scripts/alert-receiver.py --port 9480 --secret demo-secret-change-me
"""
import argparse
import hashlib
import hmac
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9480)
    parser.add_argument("--secret", default=None, help="the delivery's secret (no signature check without it)")
    parser.add_argument("--refuse", type=int, default=0, help="answer 503 to the first N attempts of each id")
    parser.add_argument("--always", type=int, default=None, help="answer this HTTP status to every attempt")
    parser.add_argument("--record", default=None, help="append one JSON line per attempt to this file")
    parser.add_argument("--quiet", action="store_true", help="print nothing per notification")
    args = parser.parse_args()

    lock = threading.Lock()
    attempts = {}
    accepted = set()
    record = open(args.record, "a", buffering=1) if args.record else None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            received_ms = int(time.time() * 1000)
            signature_ok = None
            if args.secret is not None:
                expected = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
                signature_ok = hmac.compare_digest(expected, self.headers.get("X-Signature-256", ""))
            try:
                notification = json.loads(body)
            except ValueError:
                return self.answer(400, "not JSON")
            key = self.headers.get("Idempotency-Key", "")
            if signature_ok is False:
                self.log(received_ms, notification, key, False, False, signature_ok)
                return self.answer(401, "bad signature")
            if key != notification.get("id"):
                self.log(received_ms, notification, key, False, False, signature_ok)
                return self.answer(400, "Idempotency-Key is not the notification id")
            if args.always is not None:
                self.log(received_ms, notification, key, False, False, signature_ok)
                return self.answer(args.always, "answered on purpose (--always)")
            with lock:
                attempts[key] = attempts.get(key, 0) + 1
                refuse = attempts[key] <= args.refuse
                duplicate = not refuse and key in accepted
                if not refuse:
                    accepted.add(key)
            self.log(received_ms, notification, key, not refuse, duplicate, signature_ok)
            if refuse:
                return self.answer(503, "refused on purpose (--refuse)")
            if not args.quiet:
                latency = (received_ms - notification.get("at_ms", received_ms)) / 1000
                mark = " (duplicate, already handled)" if duplicate else ""
                print(
                    f"{notification.get('state', '?'):8} {notification.get('severity', ''):8} {notification.get('text', '')}"
                    f"  [{key}, {latency:.2f} s after capture]{mark}",
                    flush=True,
                )
            self.answer(200, "ok")

        def log(self, received_ms, notification, key, accepted_now, duplicate, signature_ok):
            if record:
                with lock:
                    record.write(json.dumps({
                        "id": key, "received_ms": received_ms, "accepted": accepted_now, "duplicate": duplicate,
                        "signature_ok": signature_ok, "body": notification}) + "\n")

        def answer(self, status, text):
            data = (text + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"alert-receiver: listening on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
