#!/usr/bin/env python3
"""Writes the committed seed corpora, fuzz/corpus/<target>/seed-*.

Each seed is an RFC 6455 or RFC 7692 example (the frames of RFC 6455
section 5.7, the handshake of section 1.2, the compressed messages of RFC
7692 section 7.2.3) put in the input format of its target, which
src/lib.rs and each target describe: fields read front to back, one byte
per number or flag, a length byte before each run of bytes.

Run it from anywhere: python3 fuzz/seeds.py. It rewrites the seeds and
leaves whatever else is in the corpus directories alone.
"""

import pathlib

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"

# RFC 6455 section 5.7.
HELLO = b"\x81\x05Hello"
KEY = b"\x37\xfa\x21\x3d"
MASKED_HELLO = b"\x81\x85" + KEY + b"\x7f\x9f\x4d\x51\x58"
FRAGMENTED_HELLO = b"\x01\x03Hel" + b"\x80\x02lo"
PING = b"\x89\x05Hello"
MASKED_PONG = b"\x8a\x85" + KEY + b"\x7f\x9f\x4d\x51\x58"
BINARY_256 = b"\x82\x7e\x01\x00"
BINARY_64K = b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"

# RFC 7692 section 7.2.3: "Hello" compressed (7.2.3.1), the same again
# with the window of the first (7.2.3.2), in a stored block (7.2.3.3).
DEFLATED_HELLO = b"\xf2\x48\xcd\xc9\xc9\x07\x00"
DEFLATED_HELLO_AGAIN = b"\xf2\x00\x11\x00\x00"
STORED_HELLO = b"\x00\x05\x00\xfa\xff" + b"Hello" + b"\x00"

# RFC 6455 section 1.2, with an offer of permessage-deflate.
REQUEST = (
    b"GET /chat HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\n"
    b"Sec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    b"\r\n"
)
RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"Sec-WebSocket-Protocol: chat\r\n"
    b"\r\n"
)


def blob(data: bytes) -> bytes:
    """A length byte, then the bytes."""
    assert len(data) < 256
    return bytes([len(data)]) + data


def chunked(sizes, data: bytes) -> bytes:
    """A count of read sizes, the sizes, then the bytes to read."""
    return bytes([len(sizes)] + sizes) + data


def deflate_params(window_bits=15, no_context_takeover=False, level=6, threshold=0) -> bytes:
    """DeflateParams: both window bits, both takeover flags, level, threshold."""
    bits = window_bits - 8
    flag = int(no_context_takeover)
    return bytes([bits, bits, flag, flag, level, threshold])


# connection_* steps: a tag byte and its operands (src/connection.rs).
def raw(data):
    return bytes([0]) + blob(data)


def forged(b0, payload):
    return bytes([1, b0]) + blob(payload)


def peer_message(text, payload):
    return bytes([2, int(text)]) + blob(payload)


def peer_fragment(text, fin, payload):
    return bytes([3, int(text) | int(fin) << 1]) + blob(payload)


def peer_ping(payload):
    return bytes([4]) + blob(payload)


def peer_close(code_index, reason):
    return bytes([5, code_index]) + blob(reason)


def deliver_all(read_buffer=False):
    return bytes([6, int(read_buffer)])


def corrupt(at, xor):
    return bytes([7, at, xor])


def send(text, payload):
    return bytes([8, int(text)]) + blob(payload)


def send_ping(payload):
    return bytes([10, 1]) + blob(payload)


def close(code_index, reason):
    return bytes([11, code_index]) + blob(reason)


def write_all():
    return bytes([12, 0])


def tick(ms):
    return bytes([13, ms])


def connection_setup(max_message_units=255, write_buffer_units=255, timers=True):
    """Limits (message and write buffer limits, auto pong, auto close
    reply), timers (ping, pong, close, idle: each a flag and a byte), then
    both ends' deflate parameters."""
    limits = bytes([max_message_units, write_buffer_units, 1, 1])
    timer = b"\x01\x09" if timers else b"\x00"
    return limits + timer * 3 + b"\x00" + deflate_params() * 2


def connection_seeds(role):
    """Compressed and plain messages from the RFCs, masked as the role's
    peer must; a conversation with the real peer; a closing handshake."""
    setup = connection_setup()
    if role == "server":
        vectors = (
            forged(0xC1, DEFLATED_HELLO)
            + forged(0x41, DEFLATED_HELLO[:3])
            + forged(0x80, DEFLATED_HELLO[3:])
            + forged(0xC1, STORED_HELLO)
            + raw(MASKED_HELLO)
            + raw(MASKED_PONG)
        )
    else:
        vectors = raw(
            b"\xc1\x07" + DEFLATED_HELLO
            + b"\xc1\x05" + DEFLATED_HELLO_AGAIN
            + b"\xc1\x0b" + STORED_HELLO
            + HELLO + FRAGMENTED_HELLO + PING
        )
    return {
        "rfc-vectors": setup + vectors + deliver_all() + write_all(),
        "conversation": setup
        + peer_message(True, b"Hello " * 10)
        + deliver_all(True)
        + send(True, b"Hello " * 10)
        + peer_fragment(False, False, bytes(range(64)))
        + peer_ping(b"Hello")
        + peer_fragment(False, True, b"")
        + corrupt(12, 0x40)
        + deliver_all()
        + write_all()
        + tick(20),
        "closing": setup
        + send_ping(b"Hello")
        + close(0, b"bye")
        + peer_close(0, b"bye")
        + deliver_all()
        + write_all()
        + tick(20),
    }


def roundtrip(params, from_client, messages):
    """Both ends' parameters, the direction, no read sizes, then each
    message: kind (text bit, how in bits 1-2), fragment lengths and Ping
    bits when fragmented, the payload and its repeat count."""
    out = params + bytes([int(from_client), 0])
    for text, how, lengths, payload in messages:
        out += bytes([int(text) | how << 1])
        if how == 2:
            out += bytes([len(lengths)] + lengths + [0b01])
        out += blob(payload) + b"\x00"
    return out


SEEDS = {
    "frame_header": {
        "5.7-text": HELLO,
        "5.7-masked-text": MASKED_HELLO,
        "5.7-fragments": FRAGMENTED_HELLO,
        "5.7-ping": PING,
        "5.7-masked-pong": MASKED_PONG,
        "5.7-binary-256": BINARY_256,
        "5.7-binary-64k": BINARY_64K,
    },
    "server_handshake": {
        "1.2-request": chunked([], REQUEST),
        "1.2-request-in-reads": chunked([1, 7, 0, 64], REQUEST + MASKED_HELLO),
    },
    "client_response": {
        # After the valid start the target writes itself (the accept key
        # of its own nonce): what RFC 6455 section 1.2 and RFC 7692 7.2.3.1
        # add to it.
        "101-deflate": b"\x01"
        + chunked(
            [],
            b"Sec-WebSocket-Protocol: chat\r\n"
            b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
            + b"\xc1\x07" + DEFLATED_HELLO,
        ),
        # The whole of section 1.2's response: its accept key is for
        # another nonce.
        "1.2-response": b"\x00" + chunked([3, 11], RESPONSE),
        "404": b"\x00" + chunked([], b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"),
    },
    "extension_offers": {
        "7.1-offer": deflate_params(15) + deflate_params(15)
        + b"permessage-deflate; client_max_window_bits",
        "5.1-two-offers": deflate_params(10, True) + deflate_params(12)
        + b"permessage-deflate; client_max_window_bits; server_max_window_bits=10, "
        b"permessage-deflate; client_max_window_bits",
        "9.1-other-extension": deflate_params(8) + deflate_params(9, True)
        + b'x-webkit-deflate-frame, foo; bar="baz"; mux',
    },
    "client_url": {
        "3-ws": b"ws://example.com/chat",
        "3-wss-ipv6": b"wss://[::1]:8443/feed?since=5",
        "3-query": b"ws://127.0.0.1:9001/runCase?case=1&agent=ws-proto",
    },
    "connection_server": connection_seeds("server"),
    "connection_client": connection_seeds("client"),
    "deflate_roundtrip": {
        # RFC 7692 7.2.3.1 and 7.2.3.2: "Hello" twice sharing a window.
        "7.2.3-hello-twice": roundtrip(
            deflate_params(), True, [(True, 0, [], b"Hello"), (True, 0, [], b"Hello")]
        ),
        # A message whose final fragment is empty after a flushed one, the
        # case of section 7.2.3.6, with and without context takeover.
        "empty-final-fragment": roundtrip(
            deflate_params(8), False,
            [(True, 2, [5], b"Hello"), (False, 2, [0, 3], b"abc"), (True, 1, [], b"")],
        ),
        "no-context-takeover": roundtrip(
            deflate_params(12, True, 9), True,
            [(False, 2, [1, 0, 2], bytes(range(40))), (True, 0, [], b"Hello " * 20)],
        ),
    },
}

for target, seeds in SEEDS.items():
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        (directory / f"seed-{name}").write_bytes(data)
