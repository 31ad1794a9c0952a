#!/usr/bin/python3
"""Checks the DKIM signature of one message with dkimpy (Debian's python3-dkim), the
verifier many mail systems run, for hillpost's tests.

    dkim_verify.py RECORD_NAME RECORD_VALUE < message

The public key is given directly (no DNS): a lookup of RECORD_NAME answers RECORD_VALUE,
any other name answers nothing. Prints "pass" and exits 0 when the signature verifies,
prints "fail: <why>" and exits 1 when it does not.
"""

import logging
import sys

import dkim


def main():
    name, value = sys.argv[1], sys.argv[2]
    message = sys.stdin.buffer.read()

    def dns(query, timeout=5):
        wanted = query.decode() if isinstance(query, bytes) else query
        if wanted.rstrip(".").lower() == name.rstrip(".").lower():
            return value.encode()
        return None

    # dkimpy logs why a signature fails; keep the reason for the message below.
    reasons = []

    class Collect(logging.Handler):
        def emit(self, record):
            reasons.append(record.getMessage())

    logger = logging.getLogger("dkimpy-test")
    logger.addHandler(Collect())
    logger.setLevel(logging.DEBUG)
    try:
        ok = dkim.verify(message, logger=logger, dnsfunc=dns)
    except Exception as e:  # a malformed signature is a failure, not a crash
        ok = False
        reasons.append(repr(e))
    if ok:
        print("pass")
        return 0
    print("fail: " + "; ".join(reasons[-3:]))
    return 1


if __name__ == "__main__":
    sys.exit(main())
