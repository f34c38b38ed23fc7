"""The apiserver layer, read live: what `kubectl describe pod` knows (the Pod, its events, its
Node, its owners), read-only, with the user's own kubeconfig or the pod's service account.

kubeconfig.py finds the credentials as kubectl does; client.py makes the read-only requests
within the deadline and turns every failure into one reason; objects.py reads what a diagnosis
needs about one pod; layer.py puts the answer into the facts document.
"""
