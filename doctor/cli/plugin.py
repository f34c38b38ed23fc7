"""`kubectl stackdoctor POD`: from a workstation, the API server's side of the diagnosis here and
the node's side on the pod's node, through the stackdoctor DaemonSet's pod there, in one report.

The API side uses the user's kubeconfig (kubectl passes its --kubeconfig/--context/-n on as
flags); the node side is `stackdoctor facts` run by the node agent (doctor/gather/api/
node_agent.py) through pods/exec with the same credentials. Without an agent on the node, the
report is the API's alone and says how to deploy one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from doctor.cli.options import emit, exit_code, prepare_engine, report_options, rule_options
from doctor.errors import GatherError

if TYPE_CHECKING:
    from doctor.engine.select import RuleChoice
    from doctor.gather.api.kubeconfig import ApiTarget

DEPLOY_HINT = (
    "deploy the node agent: kubectl apply -f deploy/daemonset.yaml -f deploy/rbac.yaml "
    "(stackdoctor's deploy/, docs/apiserver.md)"
)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("pod")
@click.option("-n", "--namespace", help="The pod's namespace (default: the context's).")
@click.option("--kubeconfig", metavar="FILE", help="The kubeconfig (default: as kubectl).")
@click.option("--context", metavar="NAME", help="The kubeconfig context to use.")
@click.option(
    "--agent-namespace",
    default="kube-system",
    show_default=True,
    help="Where the stackdoctor DaemonSet runs.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Deadline of the API requests, and of each runtime call on the node.",
)
@rule_options
@report_options
def kubectl_stackdoctor(
    pod: str,
    namespace: str | None,
    kubeconfig: str | None,
    context: str | None,
    agent_namespace: str,
    timeout: float,
    rule_choice: RuleChoice,
    output: str,
    output_file: Path | None,
    fail_on: str,
) -> None:
    """Diagnose POD: what the API server knows, then its node's layers, read by the stackdoctor
    DaemonSet's pod on that node."""
    from doctor.diagnosis import diagnose
    from doctor.facts.document import PodRef, parse_facts
    from doctor.gather.api.kubeconfig import NoApiAccess, find_target
    from doctor.gather.api.question import named_query

    named = named_query(pod, namespace)
    if named is None:
        raise click.UsageError(f"{pod}: the API is asked by name: give NAME or NAMESPACE/NAME")
    try:
        target = find_target(kubeconfig, context, dict(os.environ))
    except NoApiAccess as exc:
        raise GatherError(f"the API server: {exc}") from None
    rules, render = prepare_engine(rule_choice, output)
    # kubectl's namespace when none is given: the context's (else `default`)
    name, given = named
    document = _document(target, name, given or target.namespace, agent_namespace, timeout)
    facts = parse_facts(document, "kubectl stackdoctor")
    key = document["pods"][0]
    report = diagnose(facts, rules, PodRef(key["namespace"], key["name"]))
    emit(render(report), output_file)
    raise SystemExit(exit_code(report, fail_on))


def _document(
    target: ApiTarget, name: str, namespace: str, agent_namespace: str, timeout: float
) -> dict[str, Any]:
    from doctor.apiserver.evidence import Evidence
    from doctor.apiserver.facts import kubectl_document
    from doctor.gather.api import layer
    from doctor.gather.api.client import ApiFailure, ReadOnlyApi
    from doctor.gather.api.fetch import ask_target
    from doctor.gather.api.node_agent import AgentError, find_agent, node_facts

    answer = ask_target(target, name, namespace, timeout)
    if answer["status"] != "ok":
        raise GatherError(f"the API server: {answer.get('reason')}")
    key = layer.pod_key(answer)
    if key is None:
        asked = answer.get("namespace")
        where = f"namespace {asked}" if asked else "any namespace"
        raise GatherError(f"no pod {name} in {where} ({answer['server']})")
    node = layer.node_name_of(answer)
    base = kubectl_document(Evidence())
    if node is None:
        document = layer.apply_answer(base, answer)
        layer.not_here(document, answer, None)
        return document
    reader = ReadOnlyApi(target, timeout)
    why: str
    try:
        agent = find_agent(reader, node, agent_namespace)
    except ApiFailure as failure:
        agent, why = None, f"could not look for the node agent: {failure}"
    else:
        why = f"no stackdoctor pod runs on node {node} (namespace {agent_namespace}): {DEPLOY_HINT}"
    finally:
        reader.close()
    if agent is None:
        document = layer.apply_answer(base, answer)
        _node_not_read(document, why)
        return document
    try:
        node_document = node_facts(target, agent, key, timeout)
    except AgentError as exc:
        document = layer.apply_answer(base, answer)
        _node_not_read(document, f"the node agent on {node}: {exc}")
        return document
    node_document["collected"]["host"] = node  # the agent's pod has a name of its own
    # The API server's facts join the agent's here: its timeline is built again, with them.
    node_document.pop("timeline", None)
    return layer.apply_answer(node_document, answer)


def _node_not_read(document: dict[str, Any], why: str) -> None:
    from doctor.gather.api.layer import node_layers_not_examined

    others = "not examined: the node was not read (see kubelet)"
    node_layers_not_examined(document, why, others, "kubectl stackdoctor")
