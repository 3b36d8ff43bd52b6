#!/usr/bin/env python3
"""A minimal S3 stand-in that answers HeadObject as fast as one Python process can (asyncio,
keep-alive, no HTTP framework), for measuring sluice-watch's side of watching many separate
objects: moto serves ~120 HEAD/s, far below the 1,000/s that 10,000 objects at a 10 s interval
need. Every key exists with a fixed ETag; If-None-Match with that ETag answers 304, as S3 does.
Signatures are not checked.

Usage: fast_head_server.py PORT LOG
Writes one line per request to LOG at exit (SIGTERM/SIGINT): "<monotonic seconds> <connection id>
<status>", for counting requests, polls and connections.
"""
import asyncio
import signal
import sys
import time

ETAG = '"9b2cf535f27731c974343645a3985328"'
HEADERS_200 = ("HTTP/1.1 200 OK\r\nETag: {etag}\r\nLast-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\n"
               "Content-Length: 42\r\nContent-Type: text/csv\r\nx-amz-request-id: bench\r\n\r\n"
               ).format(etag=ETAG).encode()
HEADERS_304 = ("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nx-amz-request-id: bench\r\n\r\n"
               ).format(etag=ETAG).encode()
NOT_ALLOWED = b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"

log = []
connections = 0


class HeadProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        global connections
        connections += 1
        self.id = connections
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            lines = head.split(b"\r\n")
            method = lines[0].split(b" ", 1)[0]
            if method != b"HEAD":
                self.transport.write(NOT_ALLOWED)
                log.append((time.monotonic(), self.id, 405))
                continue
            conditional = any(l.lower().startswith(b"if-none-match:") and ETAG.encode() in l
                              for l in lines[1:])
            self.transport.write(HEADERS_304 if conditional else HEADERS_200)
            log.append((time.monotonic(), self.id, 304 if conditional else 200))


async def main(port, log_path):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HeadProtocol, "127.0.0.1", port, backlog=1024)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    await stop
    server.close()
    with open(log_path, "w") as f:
        for t, c, s in log:
            f.write(f"{t:.6f} {c} {s}\n")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
