"""An echo server on Python's `websockets`, for conformance/tests/peers.rs.

It listens on 127.0.0.1 on a free port, prints the port on one line, and
echoes every message, text as text and binary as binary, with
permessage-deflate as `websockets` negotiates it by default. It exits by
itself after LIFETIME seconds, if the test has not killed it first.
"""

import asyncio

import websockets
from websockets.asyncio.server import serve

LIFETIME = 120


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main():
    async with serve(echo, "127.0.0.1", 0, max_size=1 << 24) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, websockets.__version__, flush=True)
        await asyncio.sleep(LIFETIME)


asyncio.run(main())
