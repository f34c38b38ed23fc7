"""The containerd gatherer on synthetic host trees: process, config.toml layouts, CNI, log."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document
from doctor.facts.document import parse_facts
from doctor.gather import containerd
from doctor.gather.context import GatherContext, GatherOptions, PodQuery
from doctor.gather.logs.selection import assign_pod_lines
from doctor.layers import Layer
from tests.gather.hosttree import add_process, context, write

# `containerd config default` of containerd 1.6.20 (Debian 12), verbatim.
CONFIG_V2_DEFAULT = """\
disabled_plugins = []
imports = []
oom_score = 0
plugin_dir = ""
required_plugins = []
root = "/var/lib/containerd"
state = "/run/containerd"
temp = ""
version = 2

[cgroup]
  path = ""

[debug]
  address = ""
  format = ""
  gid = 0
  level = ""
  uid = 0

[grpc]
  address = "/run/containerd/containerd.sock"
  gid = 0
  max_recv_message_size = 16777216
  max_send_message_size = 16777216
  tcp_address = ""
  tcp_tls_ca = ""
  tcp_tls_cert = ""
  tcp_tls_key = ""
  uid = 0

[metrics]
  address = ""
  grpc_histogram = false

[plugins]

  [plugins."io.containerd.gc.v1.scheduler"]
    deletion_threshold = 0
    mutation_threshold = 100
    pause_threshold = 0.02
    schedule_delay = "0s"
    startup_delay = "100ms"

  [plugins."io.containerd.grpc.v1.cri"]
    device_ownership_from_security_context = false
    disable_apparmor = false
    disable_cgroup = false
    disable_hugetlb_controller = true
    disable_proc_mount = false
    disable_tcp_service = true
    enable_selinux = false
    enable_tls_streaming = false
    enable_unprivileged_icmp = false
    enable_unprivileged_ports = false
    ignore_image_defined_volumes = false
    max_concurrent_downloads = 3
    max_container_log_line_size = 16384
    netns_mounts_under_state_dir = false
    restrict_oom_score_adj = false
    sandbox_image = "127.0.0.1:5000/pause:3.6"
    selinux_category_range = 1024
    stats_collect_period = 10
    stream_idle_timeout = "4h0m0s"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    systemd_cgroup = false
    tolerate_missing_hugetlb_controller = true
    unset_seccomp_profile = ""

    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/opt/cni/bin"
      conf_dir = "/etc/cni/net.d"
      conf_template = ""
      ip_pref = ""
      max_conf_num = 1

    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      disable_snapshot_annotations = true
      discard_unpacked_layers = false
      ignore_rdt_not_enabled_errors = false
      no_pivot = false
      snapshotter = "overlayfs"

      [plugins."io.containerd.grpc.v1.cri".containerd.default_runtime]
        base_runtime_spec = ""
        cni_conf_dir = ""
        cni_max_conf_num = 0
        container_annotations = []
        pod_annotations = []
        privileged_without_host_devices = false
        runtime_engine = ""
        runtime_path = ""
        runtime_root = ""
        runtime_type = ""

        [plugins."io.containerd.grpc.v1.cri".containerd.default_runtime.options]

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]

        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          base_runtime_spec = ""
          cni_conf_dir = ""
          cni_max_conf_num = 0
          container_annotations = []
          pod_annotations = []
          privileged_without_host_devices = false
          runtime_engine = ""
          runtime_path = ""
          runtime_root = ""
          runtime_type = "io.containerd.runc.v2"

          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            BinaryName = ""
            CriuImagePath = ""
            CriuPath = ""
            CriuWorkPath = ""
            IoGid = 0
            IoUid = 0
            NoNewKeyring = false
            NoPivotRoot = false
            Root = ""
            ShimCgroup = ""
            SystemdCgroup = false

      [plugins."io.containerd.grpc.v1.cri".containerd.untrusted_workload_runtime]
        base_runtime_spec = ""
        cni_conf_dir = ""
        cni_max_conf_num = 0
        container_annotations = []
        pod_annotations = []
        privileged_without_host_devices = false
        runtime_engine = ""
        runtime_path = ""
        runtime_root = ""
        runtime_type = ""

        [plugins."io.containerd.grpc.v1.cri".containerd.untrusted_workload_runtime.options]

    [plugins."io.containerd.grpc.v1.cri".image_decryption]
      key_model = "node"

    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = ""

      [plugins."io.containerd.grpc.v1.cri".registry.auths]

      [plugins."io.containerd.grpc.v1.cri".registry.configs]

      [plugins."io.containerd.grpc.v1.cri".registry.headers]

      [plugins."io.containerd.grpc.v1.cri".registry.mirrors]

    [plugins."io.containerd.grpc.v1.cri".x509_key_pair_streaming]
      tls_cert_file = ""
      tls_key_file = ""

  [plugins."io.containerd.internal.v1.opt"]
    path = "/opt/containerd"

  [plugins."io.containerd.internal.v1.restart"]
    interval = "10s"

  [plugins."io.containerd.metadata.v1.bolt"]
    content_sharing_policy = "shared"

  [plugins."io.containerd.monitor.v1.cgroups"]
    no_prometheus = false

  [plugins."io.containerd.runtime.v1.linux"]
    no_shim = false
    runtime = "runc"
    runtime_root = ""
    shim = "containerd-shim"
    shim_debug = false

  [plugins."io.containerd.runtime.v2.task"]
    platforms = ["linux/amd64"]
    sched_core = false

  [plugins."io.containerd.service.v1.diff-service"]
    default = ["walking"]

  [plugins."io.containerd.service.v1.tasks-service"]
    rdt_config_file = ""

  [plugins."io.containerd.snapshotter.v1.aufs"]
    root_path = ""

  [plugins."io.containerd.snapshotter.v1.btrfs"]
    root_path = ""

  [plugins."io.containerd.snapshotter.v1.devmapper"]
    async_remove = false
    base_image_size = ""
    discard_blocks = false
    fs_options = ""
    fs_type = ""
    pool_name = ""
    root_path = ""

  [plugins."io.containerd.snapshotter.v1.native"]
    root_path = ""

  [plugins."io.containerd.snapshotter.v1.overlayfs"]
    root_path = ""
    upperdir_label = false

  [plugins."io.containerd.snapshotter.v1.zfs"]
    root_path = ""

[proxy_plugins]

[stream_processors]

  [stream_processors."io.containerd.ocicrypt.decoder.v1.tar"]
    accepts = ["application/vnd.oci.image.layer.v1.tar+encrypted"]
    args = ["--decryption-keys-path", "/etc/containerd/ocicrypt/keys"]
    env = ["OCICRYPT_KEYPROVIDER_CONFIG=/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf"]
    path = "ctd-decoder"
    returns = "application/vnd.oci.image.layer.v1.tar"

  [stream_processors."io.containerd.ocicrypt.decoder.v1.tar.gzip"]
    accepts = ["application/vnd.oci.image.layer.v1.tar+gzip+encrypted"]
    args = ["--decryption-keys-path", "/etc/containerd/ocicrypt/keys"]
    env = ["OCICRYPT_KEYPROVIDER_CONFIG=/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf"]
    path = "ctd-decoder"
    returns = "application/vnd.oci.image.layer.v1.tar+gzip"

[timeouts]
  "io.containerd.timeout.bolt.open" = "0s"
  "io.containerd.timeout.shim.cleanup" = "5s"
  "io.containerd.timeout.shim.load" = "5s"
  "io.containerd.timeout.shim.shutdown" = "3s"
  "io.containerd.timeout.task.state" = "2s"

[ttrpc]
  address = ""
  gid = 0
  uid = 0
"""
# The shape of containerd 2.x `config default` (version 3), trimmed, with kubeadm-style edits.
CONFIG_V3 = """\
version = 3
root = '/var/lib/containerd'
state = '/run/containerd'
temp = ''
disabled_plugins = []
required_plugins = []
oom_score = 0
imports = []

[grpc]
  address = '/run/containerd/containerd.sock'
  tcp_address = ''
  uid = 0
  gid = 0
  max_recv_message_size = 16777216
  max_send_message_size = 16777216

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    disable_snapshot_annotations = true
    discard_unpacked_layers = false
    max_concurrent_downloads = 3

    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '127.0.0.1:5000/pause:3.10'

    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = '/etc/containerd/certs.d'

  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    max_container_log_line_size = 16384
    restrict_oom_score_adj = true

    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          runtime_type = 'io.containerd.runc.v2'
          sandboxer = 'podsandbox'

          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            BinaryName = ''
            Root = '/run/containerd/runc'
            SystemdCgroup = true

    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['/opt/cni/bin', '/usr/lib/cni']
      conf_dir = '/etc/cni/net.d'
      max_conf_num = 1

  [plugins.'io.containerd.grpc.v1.cri']
    disable_tcp_service = true
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'
"""
CONFIG_V1 = """\
[plugins.cri]
  sandbox_image = "127.0.0.1:5000/pause:3.2"
  systemd_cgroup = true
  [plugins.cri.cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
  [plugins.cri.registry.auths."registry.example"]
    username = "user"
    password = "hunter2"
"""
DOCKER_PACKAGE_CONFIG = (
    'disabled_plugins = ["cri"]\n'  # containerd.io's /etc/containerd/config.toml
)
FLANNEL_CONFLIST = """{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {"type": "flannel", "delegate": {"hairpinMode": true, "isDefaultGateway": true}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}"""
BRIDGE_CONF = """{
  "cniVersion": "1.0.0",
  "name": "containerd-net",
  "type": "bridge",
  "bridge": "cni0",
  "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]]}
}"""
SANDBOX = "e5a8e7ad13f2628e35bf08b06924cf006d67164345b0878910868fc68d43b1ff"
CONTAINERD_LOG = (
    'time="2023-06-15T12:00:00.000000000Z" level=info msg="starting containerd"'
    " revision=1.6.20~ds1 version=1.6.20~ds1\n"
    'time="2023-06-15T12:01:21.373969868Z" level=error msg="failed to load cni during init,'
    ' please check CRI plugin status before setting up network for pods" error="cni config load'
    " failed: no network config found in /etc/cni/net.d: cni plugin not initialized: failed to"
    ' load cni config"\n'
    'time="2023-06-15T12:01:22.000000000Z" level=info msg="shim disconnected" id=' + SANDBOX + "\n"
)


def executable(root: Path, path: str) -> None:
    write(root, path, "#!/bin/sh\n").chmod(0o755)


@pytest.fixture(autouse=True)
def no_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("doctor.gather.logs.sources.shutil.which", lambda name: None)


def validate(section: dict[str, Any]) -> None:
    document = copy.deepcopy(base_document())
    document["layers"]["containerd"] = section
    parse_facts(document, "test")


def test_default_1_6_config_running(tmp_path: Path) -> None:
    write(tmp_path, "/etc/containerd/config.toml", CONFIG_V2_DEFAULT)
    add_process(tmp_path, 900, ["/usr/bin/containerd"])
    (tmp_path / "run/containerd").mkdir(parents=True)
    (tmp_path / "run/containerd/containerd.sock").touch()
    write(tmp_path, "/etc/cni/net.d/10-flannel.conflist", FLANNEL_CONFLIST)
    executable(tmp_path, "/opt/cni/bin/portmap")
    write(tmp_path, "/var/log/containerd.log", CONTAINERD_LOG)
    ctx = context(tmp_path)
    section = containerd.gather(ctx)
    validate(section)
    assert section["status"] == "ok" and section["errors"] == []
    assert section["running"] is True and section["pid"] == 900
    assert section["config_path"] == "/etc/containerd/config.toml"
    assert section["config"] == {
        "version": 2,
        "systemd_cgroup": False,
        "sandbox_image": "127.0.0.1:5000/pause:3.6",
        "restrict_oom_score_adj": False,
        "snapshotter": "overlayfs",
        "disabled_plugins": [],
        "root": "/var/lib/containerd",
        "state": "/run/containerd",
        "registry_config_path": None,
    }
    assert section["socket"] == "/run/containerd/containerd.sock"
    assert section["socket_exists"] is True
    assert section["cni"] == {
        "conf_dir": "/etc/cni/net.d",
        "bin_dirs": ["/opt/cni/bin"],
        "configs": [
            {
                "file": "/etc/cni/net.d/10-flannel.conflist",
                "name": "cbr0",
                "valid": True,
                "error": None,
                "plugins": ["flannel", "portmap"],
            }
        ],
        "missing_plugins": ["flannel"],
    }
    assert section["version"] == "1.6.20~ds1"
    assert [line["message"][:24] for line in section["log"]] == ["failed to load cni durin"]
    assert ctx.handoff.containerd_runc_root is None


def test_version_3_config_from_the_command_line(tmp_path: Path) -> None:
    write(tmp_path, "/srv/containerd.toml", CONFIG_V3)
    argv = ["containerd", "--config", "/srv/containerd.toml", "--address", "/run/k.sock"]
    add_process(tmp_path, 900, argv)
    write(tmp_path, "/etc/cni/net.d/10-containerd-net.conflist", BRIDGE_CONF)
    executable(tmp_path, "/usr/lib/cni/bridge")
    ctx = context(tmp_path)
    ctx.sections[Layer.CRI] = {"status": "ok", "runtime_version": "v2.0.5"}
    section = containerd.gather(ctx)
    validate(section)
    assert section["config_path"] == "/srv/containerd.toml"
    assert section["config"]["version"] == 3
    assert section["config"]["systemd_cgroup"] is True
    assert section["config"]["sandbox_image"] == "127.0.0.1:5000/pause:3.10"
    assert section["config"]["restrict_oom_score_adj"] is True
    assert section["config"]["registry_config_path"] == "/etc/containerd/certs.d"
    assert section["socket"] == "/run/k.sock"
    assert section["socket_exists"] is False
    assert ctx.handoff.containerd_runc_root == "/run/containerd/runc"
    assert section["cni"]["bin_dirs"] == ["/opt/cni/bin", "/usr/lib/cni"]
    assert section["cni"]["configs"][0]["plugins"] == ["bridge"]
    assert section["cni"]["missing_plugins"] == ["host-local"]  # IPAM binaries count too
    assert section["version"] == "v2.0.5"
    assert "log" not in section  # no log anywhere: not known


def test_version_1_config_keeps_no_credentials(tmp_path: Path) -> None:
    write(tmp_path, "/etc/containerd/config.toml", CONFIG_V1)
    section = containerd.gather(context(tmp_path))
    validate(section)
    assert section["running"] is False
    assert section["config"]["version"] == 1
    assert section["config"]["systemd_cgroup"] is True
    assert section["config"]["sandbox_image"] == "127.0.0.1:5000/pause:3.2"
    assert "hunter2" not in repr(section)


def test_disabled_cri_plugin(tmp_path: Path) -> None:
    write(tmp_path, "/etc/containerd/config.toml", DOCKER_PACKAGE_CONFIG)
    section = containerd.gather(context(tmp_path))
    validate(section)
    assert section["config"]["disabled_plugins"] == ["cri"]
    assert section["config"]["version"] == 1


def test_no_config_file_means_defaults(tmp_path: Path) -> None:
    """containerd answered on the CRI socket and has no config: it runs on its defaults."""
    ctx = context(tmp_path)
    ctx.sections[Layer.CRI] = {"status": "ok", "runtime_name": "containerd"}
    section = containerd.gather(ctx)
    validate(section)
    assert section["status"] == "ok"
    assert section["config_path"] is None
    assert section["config"]["root"] == "/var/lib/containerd"
    assert section["config"]["systemd_cgroup"] is False
    assert section["config"]["sandbox_image"] is None  # differs by version: not known
    assert section["config"]["version"] is None
    assert section["cni"]["configs"] == []  # no conf dir: looked, found none
    assert section["cni"]["missing_plugins"] == []


@pytest.mark.parametrize(
    "cri",
    [
        {"status": "ok", "runtime_name": "cri-o"},  # another runtime answered Version
        {"status": "ok", "runtime_name": None},  # a runtime that did not name itself
        {"status": "unreachable"},  # nobody answered: the runtime is not known
        None,  # the CRI layer was not gathered
    ],
)
def test_no_config_file_is_unknown_unless_containerd_answered(
    tmp_path: Path, cri: dict[str, Any] | None
) -> None:
    """No /etc/containerd/config.toml on a node whose runtime is not known to be containerd
    says nothing about a cgroup driver: not SystemdCgroup = false (issue #13, point 5)."""
    ctx = context(tmp_path)
    if cri is not None:
        ctx.sections[Layer.CRI] = cri
    section = containerd.gather(ctx)
    validate(section)
    assert section["config_path"] is None
    assert section["config"] is None


def test_a_config_file_is_read_whoever_answered(tmp_path: Path) -> None:
    """A file that is there is what it says (the rules weigh whose runtime it configures)."""
    write(tmp_path, "/etc/containerd/config.toml", CONFIG_V2_DEFAULT)
    ctx = context(tmp_path)
    ctx.sections[Layer.CRI] = {"status": "ok", "runtime_name": "cri-o"}
    section = containerd.gather(ctx)
    assert section["config"]["systemd_cgroup"] is False


def test_invalid_toml_is_recorded(tmp_path: Path) -> None:
    write(tmp_path, "/etc/containerd/config.toml", "version = 2\n[plugins\n")
    section = containerd.gather(context(tmp_path))
    validate(section)
    assert section["status"] == "ok"
    assert section["config_path"] == "/etc/containerd/config.toml"
    assert section["config"] is None
    assert section["errors"][0]["message"].startswith("not valid TOML")


def test_unreadable_config_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "/etc/containerd/config.toml", CONFIG_V2_DEFAULT)
    ctx = context(tmp_path)
    original = type(ctx.host).read_text

    def read_text(host: Any, absolute: str, limit: int = 1 << 20) -> str:
        if absolute.endswith("config.toml"):
            raise PermissionError(13, "Permission denied")
        return original(host, absolute, limit)

    monkeypatch.setattr(type(ctx.host), "read_text", read_text)
    section = containerd.gather(ctx)
    validate(section)
    assert section["config"] is None
    assert {"source": "/etc/containerd/config.toml", "message": "Permission denied"} in (
        section["errors"]
    )


def test_broken_cni_files(tmp_path: Path) -> None:
    write(tmp_path, "/etc/cni/net.d/10-bad.conf", "{not json")
    write(tmp_path, "/etc/cni/net.d/20-empty.conflist", '{"name": "x", "plugins": []}')
    (tmp_path / "etc/cni/net.d/30-dir.json").mkdir()  # a directory where a file should be
    write(tmp_path, "/etc/cni/net.d/README", "ignored")
    section = containerd.gather(context(tmp_path))
    validate(section)
    configs = section["cni"]["configs"]
    assert [c["file"].rsplit("/", 1)[1] for c in configs] == [
        "10-bad.conf",
        "20-empty.conflist",
        "30-dir.json",
    ]
    assert [c["valid"] for c in configs] == [False, False, False]
    assert configs[0]["error"].startswith("invalid JSON")
    assert configs[1]["error"] == "no plugin type"
    assert any(e["source"] == "/etc/cni/net.d/30-dir.json" for e in section["errors"])


def test_unlistable_cni_dir_is_not_known(tmp_path: Path) -> None:
    write(tmp_path, "/etc/cni/net.d", "a file where the directory should be")
    section = containerd.gather(context(tmp_path))
    validate(section)
    assert "configs" not in section["cni"]
    assert any(e["source"] == "/etc/cni/net.d" for e in section["errors"])


def test_log_lines_for_pods(tmp_path: Path) -> None:
    write(tmp_path, "/var/log/containerd.log", CONTAINERD_LOG)
    ctx = context(tmp_path, all_pods=True)
    containerd.gather(ctx)
    lines = ctx.handoff.containerd_log_lines
    pod: dict[str, Any] = {
        "name": "web",
        "namespace": "default",
        "sandbox": {"id": SANDBOX},
        "containers": [],
    }
    assign_pod_lines([pod], lines, "containerd_log")
    assert [line["message"][:18] for line in pod["containerd_log"]] == ['shim disconnected"']


def test_unreadable_proc(tmp_path: Path) -> None:
    section = containerd.gather(GatherContext.create(GatherOptions(host_root=tmp_path)))
    validate(section)
    assert section["status"] == "absent"


def test_pod_query_option_is_accepted(tmp_path: Path) -> None:
    ctx = context(tmp_path, pod=PodQuery("web"))
    containerd.gather(ctx)
    assert ctx.handoff.containerd_log_lines is None


LAB_CONFIG = """version = 2
[grpc]
  address = "/var/tmp/lab-b/run/containerd.sock"
"""


def two_runtimes(root: Path, endpoint: str, runtime_name: str | None = None) -> GatherContext:
    """A machine with Docker's containerd (--address) and a test lab's (its config's grpc
    address), neither serving the default socket; the CRI endpoint in use is `endpoint`."""
    write(root, "/etc/containerd/config.toml", CONFIG_V2_DEFAULT)
    write(root, "/var/tmp/lab-b/config.toml", LAB_CONFIG)
    add_process(root, 700, ["containerd", "--address", "/run/docker/containerd/containerd.sock"])
    add_process(root, 800, ["containerd", "--config", "/var/tmp/lab-b/config.toml"])
    ctx = context(root)
    ctx.sections[Layer.CRI] = {"status": "unreachable", "endpoint": endpoint}
    if runtime_name:
        ctx.sections[Layer.CRI].update(status="ok", runtime_name=runtime_name)
    return ctx


def test_other_containerds_are_not_the_one_serving_the_endpoint(tmp_path: Path) -> None:
    """The node's containerd stopped while others run: not running (the containerd-stopped
    scenario named the kubelet when any process called containerd counted)."""
    section = containerd.gather(two_runtimes(tmp_path, "unix:///run/containerd/containerd.sock"))
    assert (section["running"], section["pid"], section["cmdline"]) == (False, None, None)
    assert section["socket"] == "/run/containerd/containerd.sock"  # from the node's config


@pytest.mark.parametrize(
    ("endpoint", "pid"),
    [
        ("unix:///var/tmp/lab-b/run/containerd.sock", 800),
        ("unix:///var/run/docker/containerd/containerd.sock", 700),  # /var/run is /run
    ],
)
def test_the_containerd_serving_the_endpoint_is_chosen(
    tmp_path: Path, endpoint: str, pid: int
) -> None:
    section = containerd.gather(two_runtimes(tmp_path, endpoint))
    assert (section["running"], section["pid"]) == (True, pid)


def test_an_unreadable_config_may_be_the_one(tmp_path: Path) -> None:
    ctx = two_runtimes(tmp_path, "unix:///run/containerd/containerd.sock")
    (tmp_path / "var/tmp/lab-b/config.toml").write_text("not = [toml")
    section = containerd.gather(ctx)
    assert (section["running"], section["pid"]) == (True, 800)


def test_a_cri_answered_by_another_runtime_leaves_containerd_as_found(tmp_path: Path) -> None:
    """On a CRI-O node the endpoint says nothing about which containerd is whose."""
    ctx = two_runtimes(tmp_path, "unix:///run/crio/crio.sock", runtime_name="cri-o")
    section = containerd.gather(ctx)
    assert (section["running"], section["pid"]) == (True, 700)


def test_a_containerds_config_is_read_through_its_own_root(tmp_path: Path) -> None:
    """Another lab's containerd names a config that exists only in its own root (/proc/PID/root):
    read there it serves another socket; a missing config there means the default one."""
    ctx = two_runtimes(tmp_path, "unix:///run/containerd/containerd.sock")
    theirs = tmp_path / "elsewhere"
    write(theirs, "/srv/lab-c.toml", LAB_CONFIG.replace("lab-b", "lab-c"))
    add_process(tmp_path, 900, ["containerd", "--config", "/srv/lab-c.toml"])
    (tmp_path / "proc/900/root").symlink_to(theirs)
    (tmp_path / "proc/800/root").symlink_to(tmp_path / "empty")  # lab-b's config is not in it
    (tmp_path / "empty").mkdir()
    section = containerd.gather(ctx)
    assert (section["running"], section["pid"]) == (True, 800)
