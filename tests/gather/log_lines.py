"""Sample log lines in the exact formats of /tmp/research/strings.md (kubelet klog, containerd
logrus), shared by the tests of the logs package."""

from __future__ import annotations

from datetime import datetime

REFERENCE = datetime(2023, 11, 30, 12, 0, 0)
SANDBOX = "e5a8e7ad13f2628e35bf08b06924cf006d67164345b0878910868fc68d43b1ff"
CONTAINER = "53940ebcbf87d9313bb88b1656bc189745b04414888305a7ec47aef9c55fcdaf"
UID = "5972853f-1b2c-4d5e-8f90-a1b2c3d4e5f6"

# Lines in the exact formats of /tmp/research/strings.md (kubelet klog, containerd logrus).
KLOG_JOURNAL = (
    "Nov 11 19:19:23 a0.local kubelet[7321]: E1111 19:19:23.250596    7321 kubelet.go:2855]"
    ' "Container runtime network not ready" networkReady="NetworkReady=false'
    " reason:NetworkPluginNotReady message:Network plugin returns error:"
    ' cni plugin not initialized"'
)
KLOG_PLEG = (
    'E1128 14:02:06.631719  308309 kubelet.go:1870] "Skipping pod synchronization"'
    ' err="PLEG is not healthy: pleg was last seen active 3m0.416753742s ago; threshold is 3m0s"'
)
KLOG_EVICTION = (
    'I0617 16:18:42.080925 3814777 eviction_manager.go:381] "Eviction manager: attempting to'
    ' reclaim" resourceName="ephemeral-storage"'
)
KLOG_INFO = (
    'I1129 10:00:00.000001    7321 server.go:487] "Kubelet version" kubeletVersion="v1.28.2"'
)
KLOG_POD = (
    'E0911 19:22:34.966790    3461 pod_workers.go:1301] "Error syncing pod, skipping"'
    ' err="failed to \\"CreatePodSandbox\\" for \\"coredns-7484cd47db-kmg55_kube-system('
    + UID
    + ')\\" with CreatePodSandboxError: \\"Failed to create sandbox for pod\\""'
    ' pod="kube-system/coredns-7484cd47db-kmg55"'
)
LOGRUS_SANDBOX = (
    'Oct 24 11:07:02 node1 containerd[394428]: time="2021-10-24T11:07:02.247996848Z"'
    ' level=error msg="RunPodSandbox for &PodSandboxMetadata{Name:kube-apiserver-node1,'
    'Uid:a668c4166c6878f474f019afbf7729d6,Namespace:kube-system,Attempt:0,} failed, error"'
    ' error="failed to create containerd task: OCI runtime create failed: expected cgroupsPath'
    ' to be of format \\"slice:prefix:name\\" for systemd cgroups, got \\"/kubepods/burstable\\"'
    ' instead: unknown"'
)
LOGRUS_SHIM = (
    'time="2023-06-15T12:01:21.373969868+08:00" level=info msg="shim disconnected" id=' + CONTAINER
)
LOGRUS_TTY = (
    "WARN[2019-04-11T10:39:37.414006366-07:00] cleaning up after shim disconnected"
    "           id=" + CONTAINER + " namespace=k8s.io"
)
# The lab's kubelet v1.36.3 at --v=2: an exec probe's output ends in a line break, so klog
# writes it as a multi-line value (`key=<`, tab-indented lines, ` >`): three lines of the file.
KLOG_PROBE_LINES = (
    'I1206 21:06:43.209106   25263 prober.go:122] "Probe failed" probeType="Readiness"'
    ' pod="default/readiness-probe" podUID="bdb7dd49-c143-46c9-b831-99bac44c3150"'
    ' containerName="app" probeResult="failure" output=<\n'
    "\tcat: can't open '/tmp/ready': No such file or directory\n"
    " >"
)
