"""`rnnmem-tui serve`: its checks before it serves, and the explorer in a real browser (Playwright driving the
system's headless Chromium): the first frame, a key, one process per tab, the session limit, the idle close."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from rnnmem_tui.cli import main
from rnnmem_tui.weights import shipped

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium package (.ci/run installs it): the registries serve no browser
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # without these, a closed network refuses the browser's connections
    "--disable-component-update",
    "--disable-sync",
]
FIRST_FRAME_SECONDS = 15.0  # the first frame's bound, with CI's cores busy
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


# --- the command's checks, before anything is served


def test_without_textual_serve_serve_says_how_to_get_it_in_one_line(monkeypatch, capsys):
    from rnnmem_tui.cli import serve

    monkeypatch.setattr(serve, "find_spec", lambda name: None)
    assert main(["serve", "count"]) == 2
    assert capsys.readouterr().err == "rnnmem-tui serve needs textual-serve: pip install 'rnnmem-tui[web]'\n"


@pytest.mark.parametrize(
    "argv, says",
    [
        (["serve", "cuont"], "unknown task 'cuont'"),
        (["serve"], "give a TASK, or --weights PATH"),
        (["serve", "--weights", "nothere.npz"], "no such weights file"),
        (["serve", "fill", "--weights", "count-2"], "holds a count network, not fill"),
        (["serve", "count", "--export-dir", "nothere/deeper"], "--export-dir"),
        (["serve", "count", "--port", "0"], "--port: must be in 1..65535"),
        (["serve", "count", "--max-sessions", "0"], "--max-sessions: must be at least 1"),
        (["serve", "count", "--idle-minutes", "0"], "--idle-minutes: must be above 0"),
    ],
)
def test_a_bad_task_file_or_flag_is_one_line_and_exit_2_before_anything_is_served(argv, says, monkeypatch, capsys):
    pytest.importorskip("textual_serve")
    from textual_serve.server import Server

    monkeypatch.setattr(Server, "serve", lambda self, debug=False: pytest.fail("served"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_each_session_runs_the_explorer_on_the_same_network_with_this_python():
    from rnnmem_tui.cli.serve import explorer_argv, session_command

    assert explorer_argv("count", None) == ["count"]
    path = shipped("count", 2)
    assert explorer_argv(None, str(path)) == ["count", "--weights", str(path.resolve())]
    assert explorer_argv("count", None, ".") == ["count", "--export-dir", str(Path(".").resolve())]
    assert session_command(["count"]) == f"exec {sys.executable} -m rnnmem_tui count"


def test_the_explorer_needs_no_terminal_on_textual_s_web_driver(monkeypatch, capsys):
    from rnnmem_tui.explore import check_terminal

    monkeypatch.setattr("rnnmem_tui.explore.on_a_terminal", lambda: False)
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")  # as textual-serve sets it
    assert check_terminal() == 0
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.linux_driver:LinuxDriver")
    assert check_terminal() == 2 and "needs a terminal" in capsys.readouterr().err


@pytest.mark.parametrize("host, says", [("127.0.0.1", "Only this machine"), ("0.0.0.0", "listens on every")])
def test_serve_says_plainly_there_is_no_authentication_and_what_the_host_exposes(host, says):
    pytest.importorskip("textual_serve")
    import asyncio

    from rich.console import Console

    from rnnmem_tui.classroom import Classroom

    server = Classroom("true", host=host, port=8000, title="t", max_sessions=8, idle_seconds=900)
    server.console = Console(file=io.StringIO(), width=400)
    asyncio.run(server.on_startup(None))
    text = server.console.file.getvalue()
    assert "there is no authentication" in text and says in text and "--host 0.0.0.0" in text
    assert "At most 8 sessions" in text and "15 minutes" in text
    assert ("http://127.0.0.1:8000" in text) == (host == "127.0.0.1")


# --- the explorer in a browser


def chromium_and_playwright() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no {CHROMIUM}: apt-get install chromium (.ci/run does)"
    for module in ("playwright", "textual_serve"):
        try:
            __import__(module)
        except ImportError:
            return f"no {module}: pip install -c constraints.txt -e '.[test]'"
    return None


browser_tests = pytest.mark.skipif(chromium_and_playwright() is not None, reason=str(chromium_and_playwright()))


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while the process exists (a zombie counts as gone)."""
    with contextlib.suppress(OSError):
        return (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
    return False


def until(condition, seconds: float, what: str) -> float:
    """Wait for condition() to hold; the seconds it took; fails naming `what` after `seconds`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            pytest.fail(f"{what}: not within {seconds:g}s")
        time.sleep(0.1)
    return time.monotonic() - start


@contextlib.contextmanager
def serving(folder: Path, *flags: str):
    """`rnnmem-tui serve count` on a free port, as a process; its sessions are ended with it."""
    port, log = free_port(), folder / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rnnmem_tui", "serve", "count", "--port", str(port), *flags],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    server = SimpleNamespace(pid=proc.pid, url=f"http://127.0.0.1:{port}/", log=log, sessions=set())

    def stop() -> float:
        """Ctrl-C to the server; the seconds it took to end."""
        server.sessions |= children(proc.pid)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return time.monotonic() - start

    server.stop = stop

    def listening() -> bool:
        assert proc.poll() is None, log.read_text()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        return False

    try:
        until(listening, 30, "the server listens")
        yield server
    finally:
        if proc.returncode is None:
            stop()
        for pid in server.sessions:  # none should be left; never leave one running
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


class Tab:
    """A browser page on the server, with every byte its terminal was sent (the screen's text, as ANSI)."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 720})
        self.frames: list[bytes] = []
        self.page.on("websocket", lambda ws: ws.on("framereceived", self.received))
        self.response = self.page.goto(url, wait_until="commit")

    def received(self, frame) -> None:
        """A frame from the server: the screen's bytes (JSON replies are kept too, harmlessly)."""
        self.frames.append(frame if isinstance(frame, bytes) else frame.encode())

    def text(self, since: int = 0) -> str:
        """The text the terminal was sent since frame `since`, without its escape sequences."""
        return ANSI.sub(b"", b"".join(self.frames[since:])).decode("utf-8", "replace")

    def shows(self, words: str, since: int = 0, seconds: float = 30) -> float:
        """Wait until the terminal was sent `words`; the seconds it took."""
        return until(lambda: self.page.wait_for_timeout(50) or words in self.text(since), seconds, repr(words))

    def press(self, key: str) -> int:
        """Type a key into the terminal; the frame count before it."""
        before = len(self.frames)
        self.page.focus(".xterm-helper-textarea")
        self.page.keyboard.press(key)
        return before

    def ended(self) -> bool:
        """True once the page says its session ended."""
        return "-closed" in (self.page.get_attribute("body", "class") or "")


@pytest.fixture(scope="module")
def browser():
    """The system's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server with the default limits, for the tests that do not change them."""
    with serving(tmp_path_factory.mktemp("serve")) as server:
        yield server


@pytest.mark.slow
@browser_tests
def test_the_explorer_opens_in_a_browser_and_answers_a_key(browser, server, tmp_path):
    start = time.monotonic()
    tab = Tab(browser, server.url)
    assert tab.response.status == 200
    tab.page.wait_for_selector("body.-first-byte", timeout=FIRST_FRAME_SECONDS * 1000)
    tab.shows("▶ playing", seconds=max(0.1, FIRST_FRAME_SECONDS - (time.monotonic() - start)))
    first_frame = time.monotonic() - start
    assert "count-2.npz" in tab.text() and "2 neurons" in tab.text()  # the explorer, on count's network
    tab.page.wait_for_timeout(500)
    before = tab.page.screenshot(path=tmp_path / "explorer-playing.png")
    since = tab.press(" ")
    tab.shows("paused at", since=since, seconds=10)
    tab.page.wait_for_timeout(500)
    after = tab.page.screenshot(path=tmp_path / "explorer-paused.png")
    assert before != after
    print(f"first frame in {first_frame:.1f}s; the screenshots, playing and paused: {tmp_path}/explorer-*.png")
    tab.page.close()


@pytest.mark.slow
@browser_tests
def test_four_tabs_are_four_processes_each_ending_with_its_tab(browser, server):
    before = children(server.pid)
    tabs = [Tab(browser, server.url) for _ in range(4)]
    for tab in tabs:
        tab.shows("▶ playing", seconds=60)
    sessions = children(server.pid) - before
    server.sessions |= sessions
    assert len(sessions) == 4  # a process each: each loads its own copy of the network
    for pid in sessions:
        command = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        assert command[:4] == [sys.executable.encode(), b"-m", b"rnnmem_tui", b"count"], command
    since = [len(tab.frames) for tab in tabs]
    tabs[0].shows("paused at", since=tabs[0].press(" "), seconds=10)  # one student pauses: the others play on
    tabs[0].page.wait_for_timeout(500)
    assert all("paused" not in tab.text(s) and tab.text(s) for tab, s in zip(tabs[1:], since[1:]))
    for n, tab in enumerate(tabs, 1):
        tab.page.close()
        until(lambda: len(children(server.pid) - before) == 4 - n, 10, f"the process of closed tab {n} ends")
    assert not any(alive(pid) for pid in sessions)


@pytest.mark.slow
@browser_tests
def test_a_browser_beyond_max_sessions_is_told_the_class_is_full(browser, tmp_path):
    with serving(tmp_path, "--max-sessions", "1") as server:
        first = Tab(browser, server.url)
        first.shows("▶ playing")
        second = Tab(browser, server.url)
        assert second.response.status == 503
        assert "The class is full: 1 session open" in second.page.inner_text("body")
        socket_says = second.page.evaluate(  # a page loaded while a place was free, connecting after it was taken
            """url => new Promise(done => {
                const s = new WebSocket(url); s.binaryType = "arraybuffer";
                s.onmessage = e => done(new TextDecoder().decode(e.data)); })""",
            server.url.replace("http", "ws") + "ws",
        )
        assert "The class is full" in socket_says
        assert len(children(server.pid)) == 1
        first.page.close()
        until(lambda: not children(server.pid), 10, "the first session ends")
        second.response = second.page.goto(server.url, wait_until="commit")  # a place is free again
        assert second.response.status == 200
        second.shows("▶ playing")
        (pid,) = children(server.pid)
        assert server.stop() < 10  # Ctrl-C with a session open: the server ends it, and ends
        assert not alive(pid)
        until(second.ended, 5, "the page says its session ended")
        second.page.close()


@pytest.mark.slow
@browser_tests
def test_a_session_without_input_is_closed_after_the_idle_time(browser, tmp_path):
    with serving(tmp_path, "--idle-minutes", "0.05") as server:  # 3 seconds
        tab = Tab(browser, server.url)
        tab.shows("▶ playing")
        (pid,) = children(server.pid)
        server.sessions.add(pid)
        for _ in range(8):  # a student at work keeps it: a key every half second for 4 s
            tab.press("n")
            tab.page.wait_for_timeout(500)
        assert alive(pid) and not tab.ended()
        idle = until(lambda: tab.page.wait_for_timeout(50) or tab.ended(), 20, "the idle session's page ends")
        until(lambda: not alive(pid), 10, "the idle session's process ends")
        assert idle >= 2.5  # not before its time
        assert "no input for 3 seconds, closed" in server.log.read_text()
        tab.page.close()
