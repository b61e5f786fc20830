"""A TCP proxy on loopback that adds latency, to make a local server feel remote."""

from __future__ import annotations

import asyncio
import threading


class LatencyProxy:
    """Forwards 127.0.0.1:``port`` to ``target``, delaying each request by ``delay`` s.

    Every chunk a client sends waits ``delay`` seconds before it is passed on,
    so each HTTP request costs one added round trip of ``delay``; responses
    pass at once, and ``received`` counts their bytes (what clients downloaded).
    Use as a context manager.
    """

    def __init__(self, target_host: str, target_port: int, delay: float):
        self.target = (target_host, target_port)
        self.delay = delay
        self.port: int | None = None
        self.received = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    async def _pump(self, reader, writer, delay: float, downstream: bool = False) -> None:
        try:
            while data := await reader.read(1 << 16):
                if delay:
                    await asyncio.sleep(delay)
                if downstream:
                    self.received += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            self._pump(client_reader, server_writer, self.delay),
            self._pump(server_reader, client_writer, 0, downstream=True),
        )

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        async def stop():
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:  # open connections: let their ``finally`` run now
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
