"""Run one function in a forked child process and take back its JSON result.

The CRI layer is the longest step of a diagnosis (importing gRPC and the CRI stubs, then the
runtime's answers) and needs nothing from the other layers but the kubelet's endpoint, while
the kubelet's layer and the rules (parsing, compiling) need nothing from it. collect.py asks
the CRI from a child so that both use a core each: a node has more than one. Facts are JSON by
definition and cross the pipe without loss. Forking is safe only from a single-threaded
process that has not loaded gRPC (its threads and sockets do not survive a fork); anywhere else
`fork_is_safe()` is false and everything runs in-process, in the same order.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from doctor.errors import EXIT_CANNOT_RUN, DoctorError, GatherError


def fork_is_safe() -> bool:
    return (
        hasattr(os, "fork")
        and threading.active_count() == 1
        and "grpc" not in sys.modules
        and not os.environ.get("STACKDOCTOR_NO_FORK")
    )


class _ChildFailed(DoctorError):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Child:
    """`fn()` running in a child process; `result()` waits for it and returns (or raises) what it
    returned (or raised): a DoctorError keeps its message and exit code."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        sys.stdout.flush()  # or the child would write the parent's buffered output again
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            os.close(read_end)
            _serve(fn, write_end)
        os.close(write_end)
        self.pid = pid
        self._pipe = os.fdopen(read_end, "rb")
        self._status: str | None = None  # how it ended, once reaped

    def result(self, timeout: float | None = None) -> Any:
        """The answer; with `timeout`, a GatherError when none came within that many seconds
        (the child is then stopped)."""
        try:
            if timeout is not None and not _readable_within(self._pipe, timeout):
                self.cancel()
                raise GatherError(f"no answer within {timeout:.1f} s")
            data = self._pipe.read()
        except BaseException:  # interrupted: the child's answer is no longer wanted
            self.cancel()
            raise
        self._pipe.close()
        status = self._reap()
        if not data:
            raise GatherError(f"the gathering process ended without an answer ({status})")
        answer = json.loads(data)
        if "error" in answer:
            raise _ChildFailed(answer["error"], answer["exit_code"])
        return answer["result"]

    def cancel(self) -> None:
        """Stop the child (the parent failed first) and reap it; nothing once it was reaped."""
        if self._status is not None:
            return  # its pid may already be another process's
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._pipe.close()
        self._reap()

    def _reap(self) -> str:
        _, status = os.waitpid(self.pid, 0)
        if os.WIFSIGNALED(status):
            self._status = f"killed by signal {os.WTERMSIG(status)}"
        else:
            self._status = f"exit status {os.WEXITSTATUS(status)}"
        return self._status


def _readable_within(pipe: Any, timeout: float) -> bool:
    """Whether the child ended its answer (closed the pipe) within `timeout` seconds."""
    import select

    ready, _, _ = select.select([pipe], [], [], max(0.0, timeout))
    return bool(ready)


def _serve(fn: Callable[[], Any], write_end: int) -> None:  # pragma: no cover - runs in child
    code = 0
    try:
        answer: dict[str, Any] = {"result": fn()}
    except DoctorError as exc:
        answer = {"error": str(exc), "exit_code": exc.exit_code}
    except KeyboardInterrupt:
        answer, code = {"error": "interrupted", "exit_code": 130}, 130
    except Exception as exc:  # a bug of ours, reported by the parent as one line
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            traceback.print_exc()
        answer = {
            "error": f"internal error while gathering: {type(exc).__name__}: {exc}",
            "exit_code": EXIT_CANNOT_RUN,
        }
    try:
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(json.dumps(answer).encode())
        sys.stderr.flush()
    finally:
        os._exit(code)  # no atexit handlers or buffers of the parent's: they are its own
