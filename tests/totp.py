#!/usr/bin/env python3
"""totp.py - an RFC 6238 code (SHA-1, 30 s, 6 digits) from a base32 seed, written from the RFC
alone (its Appendix B vectors checked with --selftest), so that the console's TOTP is tested
against an implementation that is not its own.
usage: totp.py SEED_BASE32 [UNIX_TIME] | totp.py --selftest"""
import base64
import hashlib
import hmac
import struct
import sys
import time


def totp(key, t, digits=6, step=30, alg=hashlib.sha1):
    counter = struct.pack('>Q', int(t) // step)
    mac = hmac.new(key, counter, alg).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return '%0*d' % (digits, code)


def selftest():
    # RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII "12345678901234567890"
    key = b'12345678901234567890'
    for t, want in ((59, '94287082'), (1111111109, '07081804'), (1111111111, '14050471'),
                    (1234567890, '89005924'), (2000000000, '69279037'),
                    (20000000000, '65353130')):
        got = totp(key, t, digits=8)
        if got != want:
            print('selftest failed at %d: %s != %s' % (t, got, want))
            return 1
    print('ok')
    return 0


def main():
    if sys.argv[1:] == ['--selftest']:
        return selftest()
    seed = sys.argv[1].upper()
    seed += '=' * (-len(seed) % 8)
    t = int(sys.argv[2]) if len(sys.argv) > 2 else time.time()
    print(totp(base64.b32decode(seed), t))
    return 0


if __name__ == '__main__':
    sys.exit(main())
