#!/usr/bin/env python3
"""Independent reference implementation of holdout_hash / in_holdout
(SipHash-2-4, Aumasson & Bernstein 2012) used to pin the expected outputs
in sql/holdout.sql.  Run: python3 test/ref/holdout_hash.py"""
import struct

MASK = (1 << 64) - 1


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK


def siphash24(k0, k1, m):
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d,
         k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]

    def rnd():
        v[0] = (v[0] + v[1]) & MASK; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & MASK; v[3] = rotl(v[3], 16); v[3] ^= v[2]
        v[0] = (v[0] + v[3]) & MASK; v[3] = rotl(v[3], 21); v[3] ^= v[0]
        v[2] = (v[2] + v[1]) & MASK; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32)

    n = len(m) - len(m) % 8
    for i in range(0, n, 8):
        w = struct.unpack('<Q', m[i:i + 8])[0]
        v[3] ^= w; rnd(); rnd(); v[0] ^= w
    b = (len(m) & 0xff) << 56
    for i, c in enumerate(m[n:]):
        b |= c << (8 * i)
    v[3] ^= b; rnd(); rnd(); v[0] ^= b
    v[2] ^= 0xff
    for _ in range(4):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


K0, K1 = struct.unpack('<QQ', b'tivationold-reac')
assert siphash24(*struct.unpack('<QQ', bytes(range(16))), bytes(range(15))) == 0xa129ca6149be45e5


def holdout_hash(customer, campaign):
    if isinstance(customer, int):
        m = b'i' + campaign.encode() + b'\0' + struct.pack('<q', customer)
    else:
        m = b't' + campaign.encode() + b'\0' + customer.encode()
    h = siphash24(K0, K1, m)
    return h - (1 << 64) if h >= 1 << 63 else h


def in_holdout(customer, campaign, share):
    h = holdout_hash(customer, campaign) & MASK
    return (h >> 11) / 2.0 ** 53 < share


if __name__ == '__main__':
    cases = [(0, 'winback'), (1, 'winback'), (42, 'winback'), (-1, 'winback'),
             (9223372036854775807, 'winback'), (-9223372036854775808, 'spring sale'),
             (42, 'winback-2026-11'), ('abc', 'winback'), ('42', 'winback'),
             ('Zoë', 'été'), ('', 'x')]
    for c, k in cases:
        print(repr(c), repr(k), holdout_hash(c, k), in_holdout(c, k, 0.1), in_holdout(c, k, 0.5))
