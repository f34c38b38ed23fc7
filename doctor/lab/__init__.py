"""The lab: a private containerd on this machine, driven through the CRI the way the kubelet
drives it, to reproduce real node failures for `stackdoctor diagnose` (and for the tests).

Modules, in the order a lab comes up: config (the layout and containerd's generated config),
images (a local busybox image), registry (local registries for the image-pull scenarios),
kubelet_side (the synthetic host tree a kubelet would leave), cri (the mutating CRI client),
runtime (start/stop containerd and pods; its state in <lab>/lab.json), scenarios (the
failures); errors holds LabError. kube/ is the real Kubernetes `lab up --cluster` runs over
the same containerd: etcd, kube-apiserver, controller manager, scheduler and kubelet.
Nothing here is used by the diagnosis itself: only the `stackdoctor lab` command imports
doctor.lab (tests/test_import_boundaries.py checks it).
"""
