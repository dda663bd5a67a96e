#!/usr/bin/env python3
"""Independent reference for Parley Sender Keys (Python `cryptography`, not libsodium).

Re-derives one sender-key message and one distribution message from fixed inputs, with
protobuf fields written by hand, and prints them as JSON. The spec
`sender-keys.vectors.spec.ts` checks the TypeScript implementation against the output
(committed as sender-key-vectors.json). Run: python3 sender-key-vectors.py > sender-key-vectors.json
"""
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_bytes(number, value):
    return varint(number << 3 | 2) + varint(len(value)) + value if value else b""


def field_varint(number, value):
    return varint(number << 3) + varint(value) if value else b""


WIRE_VERSION = b"\x01"
chain_key = bytes([0x11] * 32)
signing_seed = bytes([0x22] * 32)
distribution_id = bytes([0x33] * 16)
chain_id = 0x01020304
start_iteration = 5
plaintext = b"Parley sender key vector"

signing = Ed25519PrivateKey.from_private_bytes(signing_seed)
signing_public = signing.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

# Distribution message at the starting iteration.
skdm = WIRE_VERSION + (
    field_bytes(1, distribution_id)
    + field_varint(2, chain_id)
    + field_varint(3, start_iteration)
    + field_bytes(4, chain_key)
    + field_bytes(5, signing_public)
)

# The third message of the chain (iteration start + 2).
ck = chain_key
for _ in range(2):
    ck = hmac.new(ck, b"\x02", hashlib.sha256).digest()
iteration = start_iteration + 2
seed = hmac.new(ck, b"\x01", hashlib.sha256).digest()
okm = HKDF(algorithm=hashes.SHA256(), length=44, salt=None, info=b"Parley_SenderKey_Message_v1").derive(seed)
key, nonce = okm[:32], okm[32:]
header = field_bytes(1, distribution_id) + field_varint(2, chain_id) + field_varint(3, iteration)
ciphertext = ChaCha20Poly1305(key).encrypt(nonce, plaintext, WIRE_VERSION + header)
body = header + field_bytes(4, ciphertext)
signature = signing.sign(WIRE_VERSION + body)
message = WIRE_VERSION + field_bytes(1, body) + field_bytes(2, signature)

print(
    json.dumps(
        {
            "source": "sender-key-vectors.py (Python cryptography: HMAC, HKDF, ChaCha20-Poly1305, Ed25519)",
            "chainKey": chain_key.hex(),
            "signingSeed": signing_seed.hex(),
            "distributionId": distribution_id.hex(),
            "chainId": chain_id,
            "startIteration": start_iteration,
            "messageIteration": iteration,
            "plaintext": plaintext.hex(),
            "distribution": skdm.hex(),
            "message": message.hex(),
        },
        indent=2,
    )
)
