"""The lab: a real single-node Kubernetes over a private containerd on this machine, to
reproduce real node failures for `stackdoctor diagnose` (and for the tests).

Modules, in the order a lab comes up: config (the layout and containerd's generated config),
host_tree (the tree `--host-root` reads), images (a local busybox image), registry (local
registries for the image-pull scenarios), cri (the mutating CRI client the live CRI tests
drive), runtime (start/stop containerd, the cluster and pods; its state in <lab>/lab.json);
errors holds LabError. kube/ is the real Kubernetes over that containerd: etcd,
kube-apiserver, controller manager, scheduler and kubelet (binaries, pki, control_plane,
kubelet, cluster), and its scenarios (manifests applied with kubectl, node faults).
Nothing here is used by the diagnosis itself: only the `stackdoctor lab` command imports
doctor.lab (tests/test_import_boundaries.py checks it).
"""
