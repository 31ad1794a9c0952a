#!/usr/bin/python3
"""A real SMTP server for hillpost's tests, with faults on demand.

Runs with Debian's python3 and python3-aiosmtpd (nothing pip-installed). It listens on
127.0.0.1 on a port the OS picks and prints "READY <port>" once it accepts connections.
Every message it accepts is stored, byte for byte as received, in a Maildir; every DATA
command adds one JSON line to a log:

    {"received_at": 1700000000.123, "peer": "127.0.0.1:40312", "mail_from": "...",
     "rcpt_tos": ["..."], "message_id": "<...>", "reply": "250 2.0.0 OK",
     "stored": "<maildir key or null>", "cut": false}

Faults (combinable):
  --fail-first N --fail-code 451  the first N DATA commands get that reply, nothing is stored
  --reject-code 550               every DATA is refused with that code, nothing is stored
  --cut-after-data N              the first N messages are stored, then the connection is
                                  aborted without a reply: the client cannot know they arrived
  --delay-ms MS                   wait this long before answering each DATA (after storing)
  --idle-timeout-ms MS            close connections idle this long (default: 300 s)
  --reject-rcpt CODE              every RCPT TO is refused with that code (e.g. 550)
  --pipelining                    advertise PIPELINING (RFC 2920) in the EHLO reply; aiosmtpd
                                  reads commands line by line, so pipelined groups just work

The server stops when its standard input closes, so it never outlives the test that started it.
"""

import argparse
import asyncio
import email.parser
import json
import mailbox
import socket
import sys
import time

from aiosmtpd.smtp import SMTP


class Recorder:
    """The aiosmtpd handler: decides each DATA reply, stores and logs."""

    def __init__(self, args):
        self.args = args
        self.maildir = mailbox.Maildir(args.maildir, create=True)
        self.log = open(args.log, "a", encoding="utf-8")
        self.data_count = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.args.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.reject_rcpt:
            return f"{self.args.reject_rcpt} 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # The moment the whole message is in: taken first, so storing and parsing below
        # don't blur the receive times rate-limit tests measure.
        received_at = time.time()
        self.data_count += 1
        count = self.data_count
        cut = False
        if self.args.reject_code:
            reply = f"{self.args.reject_code} 5.7.1 refused by the test server"
        elif count <= self.args.fail_first:
            reply = f"{self.args.fail_code} 4.3.0 try again later"
        else:
            reply = "250 2.0.0 OK"
            cut = count <= self.args.cut_after_data

        # original_content: the bytes as received, after SMTP dot-unstuffing.
        content = envelope.original_content
        stored = self.maildir.add(content) if reply.startswith("250") else None
        headers = email.parser.BytesHeaderParser().parsebytes(content)
        self.record({
            "received_at": received_at,
            "peer": "%s:%s" % tuple(session.peer[:2]),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": headers.get("Message-ID"),
            "reply": "(none: connection cut)" if cut else reply,
            "stored": stored,
            "cut": cut,
        })
        if cut:
            # Drop the connection now; aiosmtpd's attempt to send the reply below goes nowhere.
            server.transport.abort()
        elif self.args.delay_ms:
            # A slow reply to a message already stored: a client that gives up waiting
            # cannot know it arrived.
            await asyncio.sleep(self.args.delay_ms / 1000)
        return reply

    def record(self, entry):
        # One write per line, so a reader never sees half an entry followed by more.
        self.log.write(json.dumps(entry) + "\n")
        self.log.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-code", type=int, default=451)
    parser.add_argument("--reject-code", type=int, default=0)
    parser.add_argument("--cut-after-data", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--idle-timeout-ms", type=int, default=300_000)
    parser.add_argument("--reject-rcpt", type=int, default=0)
    parser.add_argument("--pipelining", action="store_true")
    args = parser.parse_args()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = Recorder(args)
    # Import and exercise the header parser once now, not during the first message.
    email.parser.BytesHeaderParser().parsebytes(b"Message-ID: <warm-up@localhost>\r\n\r\n")

    # Bind first, so the port is known and already accepting when READY is printed.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="hillpost-test", ident="hillpost test SMTP server",
                     enable_SMTPUTF8=True, timeout=args.idle_timeout_ms / 1000),
        sock=sock,
    ))

    # Standard input closes when the test process ends, however it ends.
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.buffer.read1() or loop.stop())

    print(f"READY {port}", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
