"""The explorer served to browsers (`rnnmem-tui serve`, the [web] extra): textual-serve's Server, with at most
N sessions at once, each closed after a time without input, each one process that ends with its tab."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any

import aiohttp_jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from .words import plural

log = logging.getLogger("rnnmem-tui")

QUIT_SECONDS = 5.0  # how long a session's process gets to quit when asked, before it is killed
WILDCARDS = ("0.0.0.0", "::", "")  # hosts that listen on every network interface


def minutes(seconds: float) -> str:
    """A duration for people: `15 minutes`, `1 minute`, `3 seconds`."""
    if seconds < 60:
        return f"{seconds:g} second{'s' * (seconds != 1)}"
    return f"{seconds / 60:g} minute{'s' * (seconds != 60)}"


class Session(AppService):
    """One browser tab's explorer: a process of its own (textual-serve's AppService), which notes when its
    student last typed, clicked or moved the mouse, closes its tab's page when the process ends, and is
    killed if it does not quit when asked."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.last_input = time.monotonic()

    @property
    def pid(self) -> int | None:
        """The process's id, once it started."""
        return None if self._process is None else self._process.pid

    async def send_bytes(self, data: bytes) -> bool:
        """The browser's keys and mouse, to the process: the session is in use."""
        self.last_input = time.monotonic()
        return await super().send_bytes(data)

    async def set_terminal_size(self, width: int, height: int) -> None:
        """A resized window is a student at work too."""
        self.last_input = time.monotonic()
        await super().set_terminal_size(width, height)

    async def run(self) -> None:
        """Relay the process's screen until it ends (`q`, a crash), then close the page's socket: the page
        says "Session ended." instead of waiting on a process that is gone."""
        await super().run()
        await self.remote_close()

    async def stop(self) -> None:
        """Ask the process to quit, and wait for it to end; kill it if it has not within QUIT_SECONDS."""
        process = self._process
        try:
            await asyncio.wait_for(super().stop(), QUIT_SECONDS)  # quit, and relay its screen to the end
            if process is not None:
                await asyncio.wait_for(process.wait(), QUIT_SECONDS)
        except TimeoutError:
            log.warning("session %s did not quit within %gs: killed", self.pid, QUIT_SECONDS)
            self._task = None
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()


class Classroom(Server):
    """textual-serve's Server of one command, one process per browser tab, with at most `max_sessions` at once;
    a session without input for `idle_seconds` is closed. Pages are built for the address the browser asked
    for, so a server listening on every interface (--host 0.0.0.0) works from any machine that reaches it."""

    def __init__(
        self, command: str, *, host: str, port: int, title: str, max_sessions: int, idle_seconds: float
    ) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.sessions: dict[web.WebSocketResponse, Session | None] = {}  # by socket; None while its process starts
        self.turned_away: set[web.WebSocketResponse] = set()  # sockets beyond the limit, showing why

    @property
    def full(self) -> bool:
        """True when no other session may open."""
        return len(self.sessions) >= self.max_sessions

    def url(self) -> str:
        """The address to give the students."""
        host = socket.gethostname() if self.host in WILDCARDS else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    async def on_startup(self, app: web.Application) -> None:
        """Where to point the browsers, the limits, and the plain warning."""
        wide = self.host in WILDCARDS
        self.console.print(
            f"rnnmem-tui serve: {self.title}, one process per browser tab\n"
            f"Open {self.url()} in a browser"
            + (" (or this machine's address on the network, with the port)" if wide else "")
            + f".\nAt most {plural(self.max_sessions, 'session')} at once; a session without a key, a click or a "
            f"mouse move for {minutes(self.idle_seconds)} is closed, and a closed tab ends its session.\n"
            "Warning: there is no authentication: anyone who can open this address gets a session running on "
            "this machine. "
            + (
                f"--host {self.host or '0.0.0.0'} listens on every network interface: anyone on the network can "
                "open sessions that run on this machine."
                if wide
                else f"Only this machine can open it (--host {self.host}); --host 0.0.0.0 would let anyone on the "
                "network open sessions that run on this machine."
            )
            + "\nPress Ctrl+C to stop.",
            highlight=False,
            soft_wrap=True,
        )

    def full_message(self) -> str:
        """What a browser beyond the limit gets instead of a session."""
        return (
            f"The class is full: {plural(self.max_sessions, 'session')} open, the most this server allows "
            "(rnnmem-tui serve --max-sessions). Reload this page when a session closes."
        )

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The page of one session, with the addresses the browser used (textual-serve's own page would name
        the address the server listens on, 0.0.0.0 with --host 0.0.0.0); or, when the class is full, a page
        that says so."""
        if self.full:
            return web.Response(status=503, text=self.full_message(), content_type="text/plain")
        router = request.app.router
        origin = f"{request.scheme}://{request.host}"
        socket_scheme = "wss" if request.scheme == "https" else "ws"
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{socket_scheme}://{request.host}{router['websocket'].url_for()}",
            "config": {"static": {"url": f"{origin}{router['static'].url_for(filename='/')}".rstrip("/") + "/"}},
            "application": {"name": self.title},
        }

    async def refuse(self, websocket: web.WebSocketResponse) -> web.WebSocketResponse:
        """A socket beyond the limit (a page loaded while a place was free, connected after it was taken): the
        message in its terminal, and no process; the socket stays open until the tab goes, so that the page
        shows the message rather than "Session ended."."""
        self.turned_away.add(websocket)
        try:
            await websocket.send_bytes(f"\r\n  {self.full_message()}\r\n".encode())
            async for _ in websocket:
                pass
        finally:
            self.turned_away.discard(websocket)
        return websocket

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl-C: close every page's socket, so that each session's process ends now (rather than when aiohttp's
        graceful shutdown gives up on the open sockets)."""
        sockets = [*self.sessions, *self.turned_away]
        await asyncio.gather(
            *(s.close(code=WSCloseCode.GOING_AWAY, message=b"the server stopped") for s in sockets),
            return_exceptions=True,
        )

    async def close_when_idle(self, websocket: web.WebSocketResponse, session: Session) -> None:
        """Close the session's socket once it has had no input for idle_seconds; its process then ends."""
        while (left := session.last_input + self.idle_seconds - time.monotonic()) > 0:
            await asyncio.sleep(left)
        log.info("session %s: no input for %s, closed", session.pid, minutes(self.idle_seconds))
        await websocket.close(message=b"idle")

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab: a process of its own (textual-serve's handler, plus the limit, the idle watch and
        the end of the process when the tab closes)."""
        websocket = web.WebSocketResponse(heartbeat=15)
        if self.full:
            await websocket.prepare(request)
            return await self.refuse(websocket)
        self.sessions[websocket] = None  # the place is taken before the first await
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        session: Session | None = None
        try:
            await websocket.prepare(request)
            session = Session(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await session.start(width, height)
            self.sessions[websocket] = session
            log.info("session %s opened: %d of %d", session.pid, len(self.sessions), self.max_sessions)
            watch = asyncio.create_task(self.close_when_idle(websocket, session))
            try:
                await self._process_messages(websocket, session)
            finally:
                watch.cancel()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            if session is not None:
                await session.stop()
            del self.sessions[websocket]
            if session is not None:
                log.info("session %s ended: %d of %d open", session.pid, len(self.sessions), self.max_sessions)
        return websocket
