"""Asking the CRI from a child process (gather/child.py): answers, errors and failures come
back to the parent as they would have happened in-process, and nothing is left behind."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from doctor.errors import EXIT_CANNOT_RUN, DoctorError, GatherError
from doctor.gather import child
from doctor.gather.child import Child


class Unknown(DoctorError):
    exit_code = 5


def test_the_answer_comes_back() -> None:
    assert Child(lambda: {"pods": [{"name": "web"}], "n": 1.5}).result() == {
        "pods": [{"name": "web"}],
        "n": 1.5,
    }


def test_a_large_answer_does_not_block() -> None:
    big = ["x" * 1000] * 2000  # 2 MB: many times a pipe's buffer
    assert Child(lambda: big).result() == big


def test_a_doctor_error_keeps_its_message_and_exit_code() -> None:
    def fail() -> None:
        raise Unknown("pod wbe not found on this node")

    with pytest.raises(DoctorError, match=r"^pod wbe not found on this node$") as raised:
        Child(fail).result()
    assert raised.value.exit_code == 5


def test_a_bug_in_the_child_is_one_line_with_exit_2() -> None:
    def fail() -> None:
        raise KeyError("sandbox")

    with pytest.raises(DoctorError, match=r"internal error while gathering: KeyError") as raised:
        Child(fail).result()
    assert raised.value.exit_code == EXIT_CANNOT_RUN


def test_a_child_that_dies_is_reported() -> None:
    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(GatherError, match="ended without an answer \\(killed by signal 9\\)"):
        Child(die).result()


def test_cancel_stops_and_reaps_the_child() -> None:
    running = Child(lambda: time.sleep(30))
    started = time.monotonic()
    running.cancel()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(running.pid, os.WNOHANG)  # already reaped: no zombie left


def test_the_child_does_not_flush_the_parents_buffers(capfd: pytest.CaptureFixture[str]) -> None:
    print("once", end="")
    Child(lambda: None).result()
    assert capfd.readouterr().out == "once"


@pytest.mark.parametrize(
    ("setting", "safe"),
    [({}, True), ({"STACKDOCTOR_NO_FORK": "1"}, False), ({"grpc": True}, False)],
)
def test_fork_is_safe_only_without_grpc_or_threads(
    monkeypatch: pytest.MonkeyPatch, setting: dict[str, Any], safe: bool
) -> None:
    monkeypatch.delenv("STACKDOCTOR_NO_FORK", raising=False)
    monkeypatch.setattr(child.threading, "active_count", lambda: 1)
    modules = {k: v for k, v in child.sys.modules.items() if k != "grpc"}
    if setting.pop("grpc", False):
        modules["grpc"] = object()  # type: ignore[assignment]
    monkeypatch.setattr(child.sys, "modules", modules)
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    assert child.fork_is_safe() is safe
    monkeypatch.setattr(child.threading, "active_count", lambda: 2)
    assert child.fork_is_safe() is False


def test_cancel_after_an_answer_changes_nothing() -> None:
    """collect.py cancels in a `finally` whatever happened, also after the child's error."""

    def fail() -> None:
        raise Unknown("pod dup is ambiguous on this node")

    running = Child(fail)
    with pytest.raises(DoctorError, match="ambiguous"):
        running.result()
    running.cancel()  # must not raise, nor signal a pid that may be another process's now
