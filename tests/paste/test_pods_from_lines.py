"""A pasted journal that names pods, with no pod in the facts and no --pod: each pod it names
exists in the facts, with its own lines (real pastes from the corpus, by case)."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.facts.document import PodRef
from tests.paste.corpus import evidence
from tests.paste.reading import read_paste


def pods(tmp_path: Path, text: str, pod: PodRef | None = None) -> list[tuple[object, ...]]:
    found = read_paste(tmp_path, text, pod).document.data["pods"]
    return [
        (
            p["namespace"],
            p["name"],
            p.get("uid"),
            len(p.get("kubelet_log") or []),
            len(p.get("containerd_log") or []),
        )
        for p in found
    ]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            "containerd.sandbox-image-unavailable/containerd-8653",
            [("kube-system", "kube-proxy-p2jnb", "0d74320c-fed8-45fd-8e02-b24064ac45a1", 1, 0)],
            id='klog pod="ns/name" podUID=',
        ),
        pytest.param(
            "containerd.sandbox-image-unavailable/k8s-62732",
            [
                (
                    "kube-system",
                    "kube-dns-96bc87b87-x8wcl",
                    "cbc9323f-4200-11e8-87a9-fa163ef77358",
                    1,
                    0,
                )
            ],
            id="name_ns(uid), trimmed",
        ),
        pytest.param(
            "shim.start-failed/containerd-2481",
            [("default", "nginx-64f497f8fd-pbfzw", "02cfb9af-8bff-11e8-b0cb-00163e0d02ae", 0, 1)],
            id="containerd PodSandboxMetadata",
        ),
        # the kubelet 1.5 names the pod by its UID alone: it stands for the name; the
        # MountVolume lines' `pod "UID"` is no pod's failure and makes none
        pytest.param(
            "kubelet.runtime-operation-timeout/k8s-39028",
            [
                (
                    "unknown",
                    "c87dfaea-0347-11e7-9c33-024bab486553",
                    "c87dfaea-0347-11e7-9c33-024bab486553",
                    1,
                    0,
                )
            ],
            id="Error syncing pod UID, skipping",
        ),
        pytest.param("kubelet.config-file-invalid/k8s-93616", [], id="names no pod"),
    ],
)
def test_the_pods_the_lines_name(
    tmp_path: Path, case: str, expected: list[tuple[object, ...]]
) -> None:
    assert pods(tmp_path, evidence(case)) == expected


def test_with_pod_given_no_other_pod_is_made(tmp_path: Path) -> None:
    given = PodRef("default", "web")
    found = pods(tmp_path, evidence("containerd.sandbox-image-unavailable/containerd-8653"), given)
    assert [(p[0], p[1]) for p in found] == [("default", "web")]
