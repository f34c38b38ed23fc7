"""`analyze --text`: whatever text a user pasted, into facts of the right layers.

The flow, module by module:

- `text`: read a file (or standard input) as bounded plain text: no ANSI codes, Unix line ends;
  binary data and oversized input refused.
- `segment`: split it into segments: runs of self-describing log lines, blocks (describe, a
  table, a JSON document), free text; each with the command a prompt before it ran.
- `kinds`: recognise each segment's kind, one small pure recogniser per kind, in order.
- `place`: send each segment where its facts come from, noting what cannot be placed; `logs`
  (daemon and kernel lines, by gather/logs/daemons.py), `container` (whose output a container
  log is), `disks` (df tables), `events` (events without their table), `wrapped` (lines
  the paste wrapped), `nodelines` (sysctl values, a Taints line), `runtime`, `units`,
  `kubeadm`, `kubectl_errors`, `cri_client` do the conversions that take more than a few
  lines.
- `facts`: assemble the result into a facts document, alone or on top of a bundle's or kubectl
  output's, with the selections the live gatherers apply.
"""
