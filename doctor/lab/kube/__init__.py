"""The lab's real Kubernetes: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and a
kubelet, built from their Go modules by scripts/build-kube, all on 127.0.0.1.

Modules, in the order a cluster comes up: binaries (where the built programs are), pki (the CA,
serving certificate, service-account keys, tokens, kubeconfigs), control_plane (each component's
command line), kubelet (its KubeletConfiguration and the private mount namespace that keeps it
off the host's kernel settings), cluster (start, wait for the node to be Ready, stop), kubectl.
"""
