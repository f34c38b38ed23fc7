"""The lab: a private containerd on this machine, driven through the CRI the way the kubelet
drives it, to reproduce real node failures for `stackdoctor diagnose` (and for the tests).

Modules, in the order a lab comes up: config (the layout and containerd's generated config),
images (a local busybox image), kubelet_side (the synthetic host tree a kubelet would leave),
runtime (start/stop containerd, the mutating CRI client), scenarios (the failures), state.
Nothing here is used by the diagnosis itself: doctor/gather never imports doctor/lab.
"""
