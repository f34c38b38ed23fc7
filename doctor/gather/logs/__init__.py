"""The kubelet's and containerd's logs, from where they are read to the lines the rules see.

- `sources`: where a log comes from (the systemd journal, a dedicated file, or the shared
  syslog files filtered by the program's identifier), read as a bounded tail of text (`RawLog`).
- `formats`: the line formats (klog, logrus text/JSON/TTY, a BSD or RFC 3339 syslog prefix,
  journald's JSON records), parsed into facts log lines.
- `selection`: which lines are kept: the node-level lines that matter (`NODE_PATTERNS`) become
  the layer's `log`; each pod's own lines become its `kubelet_log` / `containerd_log`.
"""
