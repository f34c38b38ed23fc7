"""A container's State / Last State block cut from `kubectl describe pod` becomes that
container's attempts, read as describe reads them; whose container it is is decided as for a
container's log (--pod, the only pod, else default/unknown, said). Texts from the real-world
corpus (fixtures/realworld/cases), their threads cited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from doctor.paste.kinds import Kind, recognise
from doctor.paste.segment import plain, split
from tests.paste.reading import read_paste

# https://github.com/Azure/azure-service-operator/issues/298 (AKS, 2019)
OOM_LAST_STATE = "  Last State:     Terminated\n  Reason:       OOMKilled\n  Exit Code:    137\n"
# the same block as describe indents it, with the current state and the restart count
CRASH_LOOP = (
    "    State:          Waiting\n"
    "      Reason:       CrashLoopBackOff\n"
    "    Last State:     Terminated\n"
    "      Reason:       Error\n"
    "      Exit Code:    1\n"
    "      Started:      Mon, 01 Jan 2024 10:00:00 +0000\n"
    "      Finished:     Mon, 01 Jan 2024 10:00:03 +0000\n"
    "    Ready:          False\n"
    "    Restart Count:  5\n"
)


def facts(tmp_path: Path, text: str, pod: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = read_paste(tmp_path, text, pod).document.data
    return document


def test_the_block_is_its_own_kind() -> None:
    (segment,) = split(plain(OOM_LAST_STATE), "paste")
    assert recognise(segment.shape()) is Kind.CONTAINER_STATE


def test_a_last_state_alone_is_an_exited_attempt(tmp_path: Path) -> None:
    document = facts(tmp_path, OOM_LAST_STATE)
    (pod,) = document["pods"]
    (container,) = pod["containers"]
    assert (pod["namespace"], pod["name"]) == ("default", "unknown")
    assert (container["state"], container["reason"], container["exit_code"]) == (
        "CONTAINER_EXITED",
        "OOMKilled",
        137,
    )
    assert "restart_count" not in container  # the block did not say it


def test_state_and_last_state_are_two_attempts_of_the_pod_given(tmp_path: Path) -> None:
    document = facts(tmp_path, CRASH_LOOP, pod="shop/web")
    (pod,) = document["pods"]
    assert (pod["namespace"], pod["name"]) == ("shop", "web")
    last, now = sorted(pod["containers"], key=lambda c: c["attempt"])
    assert (last["attempt"], last["state"], last["exit_code"], last["run_seconds"]) == (
        4,
        "CONTAINER_EXITED",
        1,
        3.0,
    )
    assert (now["attempt"], now["state"], now["reason"]) == (
        5,
        "CONTAINER_WAITING",
        "CrashLoopBackOff",
    )
    assert now["restart_count"] == 5


def test_a_block_with_other_text_is_not_read_as_one() -> None:
    text = OOM_LAST_STATE + "and then it restarted\n"
    (segment,) = split(plain(text), "paste")
    assert recognise(segment.shape()) is not Kind.CONTAINER_STATE
