"""stackdoctor: diagnose the Kubernetes node container stack, layer by layer."""

__version__ = "0.1.0"
