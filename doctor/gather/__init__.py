"""Gathering facts from a live node, one module per layer, assembled by `collect`.

Everything here only reads: files under the host root, /proc and /sys, the CRI socket (only
read-only RPCs), and the kubelet's healthz. Nothing is written, signalled or mutated.
"""
