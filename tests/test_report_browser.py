"""The HTML report in a real browser (Debian's headless Chromium): the page Chromium builds holds
every layer and the root cause, the screenshot shows the root cause's box with text in it, and
the console stays silent (a blocked load, an error or an injected script would all speak).

Chromium runs on file:// only, with a fresh profile and every background service off, and any
host name resolving nowhere: nothing it could fetch would leave the machine. Without chromium
the tests skip with the reason; with CI=true they fail (.ci/run installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, parse_facts
from doctor.layers import LAYER_NAMES
from doctor.model import Report
from doctor.report import formatter
from tests.conftest import REPO
from tests.html_page import Page

RULES = load_rules()
CRASH_LOOP = REPO / "fixtures" / "scenarios" / "k8s-crash-loop.json"
ROOT_BORDER = (0xCF, 0x22, 0x2E)  # .root's border in doctor/report/html.py
WINDOW = (1280, 2000)
QUIET = (
    "--headless",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # any name resolves nowhere
    "--disable-gpu",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",  # the console's messages reach stderr as `:CONSOLE` lines
)


def chromium() -> str:
    """Chromium's path; skip (with the reason) where it is missing, fail in CI."""
    found = shutil.which("chromium")
    if found is not None:
        return found
    reason = "chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Run:
    stdout: str
    console: list[str]  # every console message the page made


def browse(page: Path, tmp_path: Path, *args: str) -> Run:
    command = [chromium(), *QUIET, f"--user-data-dir={tmp_path / 'profile'}"]
    if os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    command += [f"--window-size={WINDOW[0]},{WINDOW[1]}", *args, page.as_uri()]
    # Its own session: on a timeout the zygote and GPU processes go with it.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, stderr[-2000:]
    return Run(stdout, [line for line in stderr.splitlines() if ":CONSOLE" in line])


def pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    offset, data, header = 8, b"", b""
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind, body = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        header = body if kind == b"IHDR" else header
        data += body if kind == b"IDAT" else b""
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    step = 3 if colour == 2 else 4
    raw, stride, rows = zlib.decompress(data), width * step, []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                near = min(
                    (abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner)
                )
                line[i] = (line[i] + near[2]) & 0xFF
        previous = line
        rows.append(bytes(b for x in range(width) for b in line[x * step : x * step + 3]))
    return width, height, rows


def crash_loop_page(tmp_path: Path) -> tuple[Report, Path]:
    document = json.loads(CRASH_LOOP.read_text())
    report = diagnose(
        parse_facts(document, "k8s-crash-loop.json"), RULES, PodRef("default", "crash-loop")
    )
    page = tmp_path / "report.html"
    page.write_text(formatter("html")(report), encoding="utf-8")
    return report, page


def test_chromium_builds_every_layer_and_the_root_cause(tmp_path: Path) -> None:
    report, page = crash_loop_page(tmp_path)
    run = browse(page, tmp_path, "--dump-dom")
    dom = Page(run.stdout)
    assert [a["data-layer"] for _, a in dom.tags if "data-layer" in a] == list(LAYER_NAMES)
    # the timeline's swimlanes: every lane, and the root cause's entries highlighted
    assert [a["data-lane"] for _, a in dom.tags if "data-lane" in a] == [*LAYER_NAMES, "(all)"]
    assert any(a.get("class") == "ev" for tag, a in dom.tags if tag == "td")
    assert report.root_cause is not None
    root = report.root_cause.finding
    assert root.title in dom.words and " ".join(root.message.split()) in dom.words
    assert "kubelet log, 2026-12-06T22:15:40.378539:" in dom.words
    assert run.console == []


def test_the_screenshot_shows_the_root_cause_box_with_text(tmp_path: Path) -> None:
    _, page = crash_loop_page(tmp_path)
    shot = tmp_path / "shot.png"
    run = browse(page, tmp_path, f"--screenshot={shot}")
    assert run.console == []
    width, height, rows = pixels(shot.read_bytes())
    assert (width, height) == WINDOW
    border = bytes(ROOT_BORDER)
    # the box's top and bottom edges: rows with a long run of its border colour
    edges = [y for y, row in enumerate(rows) if row.count(border * 50) >= 1]
    assert edges, "the root cause's box is not on the screen"
    top, bottom = edges[0], edges[-1]
    assert bottom - top > 100, "the root cause's box is empty"
    # text is drawn inside it: dark pixels, which the page's backgrounds never are
    dark = sum(
        1
        for row in rows[top + 3 : bottom - 2]
        for x in range(0, len(row), 3)
        if max(row[x : x + 3]) < 90
    )
    assert dark > 2000


def test_a_hostile_bundle_injects_nothing(tmp_path: Path) -> None:
    document = json.loads(CRASH_LOOP.read_text())
    hostile = '<script>console.log("injected")</script><img src=x onerror=console.log(2)>'
    pod = document["pods"][0]
    pod["containers"][0]["log_tail"] = [f"error: {hostile}"]
    pod["name"] = f"crash-loop{hostile}"
    report = diagnose(parse_facts(document, f"facts{hostile}.json"), RULES)
    page = tmp_path / "hostile.html"
    page.write_text(formatter("html")(report), encoding="utf-8")
    run = browse(page, tmp_path, "--dump-dom")
    dom = Page(run.stdout)
    assert not [tag for tag, _ in dom.tags if tag in ("script", "img", "iframe", "object")]
    assert hostile in dom.words  # said as text
    assert run.console == []


def test_without_chromium_ci_fails_and_elsewhere_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI: chromium is not installed"):
        chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        chromium()
