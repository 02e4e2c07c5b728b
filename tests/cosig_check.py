#!/usr/bin/env python3
"""cosig_check.py - an independent check of a witness's co-signatures, written from the C2SP
specs alone (c2sp.org/signed-note, c2sp.org/tlog-cosignature) with another implementation of
Ed25519 (python3-cryptography, which is OpenSSL's). It shares no code with titlecert.

  cosig_check.py VKEY NOTE ANSWER
      VKEY is the witness's verifier key (name+hex8+base64(0x04 || key)), NOTE the signed
      checkpoint the witness was sent, ANSWER its 200 answer (signature lines). Prints
      "ok <timestamp>" and exits 0 when a line of the witness verifies over the checkpoint's
      text; exits 1 otherwise (saying why).
  cosig_check.py --altered VKEY NOTE ANSWER
      Makes altered copies of the witness's line (every bit of its key id, timestamp and
      signature flipped in turn, another name, a line without the timestamp, the checkpoint's
      text changed byte by byte, a timestamp past 2^63 - 1) and checks that each is refused.
      Prints how many were made; exits 0 when all were refused.
"""
import base64
import hashlib
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DASH = "\u2014"
COSIG_TYPE = 0x04  # signed-note: timestamped Ed25519 witness cosignatures


class Refused(Exception):
    pass


def parse_vkey(vkey):
    """name+hex8+base64(type || key), key id = SHA-256(name || 0x0A || type || key)[:4]"""
    name, key_hash, b64 = vkey.split("+", 2)
    raw = base64.b64decode(b64, validate=True)
    if raw[0] != COSIG_TYPE or len(raw) != 33:
        raise Refused("not a cosignature/v1 (type 0x04) Ed25519 verifier key")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if key_id.hex() != key_hash:
        raise Refused("the verifier key's hash is not its key id")
    return name, key_id, raw[1:]


def note_text(note):
    """The text of a signed note: up to and with the newline before the last blank line."""
    split = note.rfind("\n\n")
    if split < 0:
        raise Refused("no blank line in the note")
    return note[: split + 1]


def verify_line(line, text, name, key_id, pk):
    """Returns the timestamp when line is name's cosignature/v1 over text."""
    prefix = DASH + " " + name + " "
    if not line.startswith(prefix):
        raise Refused("not the witness's name")
    blob = base64.b64decode(line[len(prefix):], validate=True)
    if blob[:4] != key_id:
        raise Refused("not the witness's key id")
    if len(blob) != 4 + 8 + 64:
        raise Refused("not key id, 8-byte timestamp and 64-byte signature")
    timestamp = int.from_bytes(blob[4:12], "big")
    if timestamp > 2**63 - 1:
        raise Refused("timestamp above 2^63 - 1")
    message = b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + text.encode()
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(blob[12:], message)
    except InvalidSignature:
        raise Refused("the signature does not verify") from None
    return timestamp


def witness_line(answer, name):
    lines = [l for l in answer.split("\n") if l.startswith(DASH + " " + name + " ")]
    if not lines:
        raise Refused("no line of the witness in the answer")
    return lines[0]


def refused(line, text, name, key_id, pk):
    try:
        verify_line(line, text, name, key_id, pk)
    except (Refused, ValueError):
        return True
    return False


def altered(line, text, name, key_id, pk):
    """Every alteration must be refused; returns (made, refused)."""
    prefix = DASH + " " + name + " "
    blob = base64.b64decode(line[len(prefix):])
    made = ok = 0
    for bit in range(len(blob) * 8):
        b = bytearray(blob)
        b[bit // 8] ^= 1 << (bit % 8)
        made += 1
        ok += refused(prefix + base64.b64encode(bytes(b)).decode(), text, name, key_id, pk)
    for i in range(len(text) - 1):
        t = text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1:]
        made += 1
        ok += refused(line, t, name, key_id, pk)
    b = bytearray(blob)
    b[4] |= 0x80
    others = [
        prefix.replace(name, name + "x") + line[len(prefix):],
        prefix + base64.b64encode(blob[:4] + blob[12:]).decode(),
        prefix + base64.b64encode(bytes(b)).decode(),
        line[:-4],
    ]
    for o in others:
        made += 1
        ok += refused(o, text, name, key_id, pk)
    return made, ok


def main(argv):
    alter = len(argv) > 1 and argv[1] == "--altered"
    args = argv[2:] if alter else argv[1:]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    vkey, note_path, answer_path = args
    with open(note_path, encoding="utf-8") as f:
        text = note_text(f.read())
    with open(answer_path, encoding="utf-8") as f:
        answer = f.read()
    try:
        name, key_id, pk = parse_vkey(vkey)
        line = witness_line(answer, name)
        timestamp = verify_line(line, text, name, key_id, pk)
    except Refused as e:
        print("refused: %s" % e)
        return 1
    if not alter:
        print("ok %d" % timestamp)
        return 0
    made, ok = altered(line, text, name, key_id, pk)
    print("%d alterations, %d refused" % (made, ok))
    return 0 if made == ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
