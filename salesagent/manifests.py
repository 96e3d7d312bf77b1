"""Render the Kubernetes manifests under ``deploy/`` as ``kubectl kustomize`` does, for what they use.

The tests validate every rendered resource offline, on machines with or without kubectl; people
without kubectl can render an overlay too: ``python -m salesagent.manifests DIR``. Supported:
``resources`` (files and directories), ``namespace``, ``images`` and inline JSON 6902 ``patches``
with a kind/name target. Any other kustomization field is refused, so a manifest change that needs
more of kustomize fails loudly instead of rendering wrongly.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_FIELDS = frozenset({"apiVersion", "kind", "resources", "namespace", "images", "patches"})
# Kinds without a namespace among those we ship (kustomize knows the full list).
CLUSTER_SCOPED_KINDS = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"})
POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"})

Resource = dict[str, Any]


class UnsupportedKustomization(ValueError):
    """The kustomization uses a field this renderer does not implement."""


def render(directory: Path) -> list[Resource]:
    """Every resource of the kustomization in ``directory``, transformed as kustomize would."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED_FIELDS
    if unsupported:
        raise UnsupportedKustomization(f"{directory}: unsupported fields {sorted(unsupported)}")
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            resources.extend(render(path))
        else:
            resources.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for patch in kustomization.get("patches", []):
        _apply_patch(resources, patch)
    for image in kustomization.get("images", []):
        _set_image(resources, image)
    namespace = kustomization.get("namespace")
    if namespace:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED_KINDS:
                resource["metadata"]["namespace"] = namespace
    return resources


def _apply_patch(resources: list[Resource], patch: dict[str, Any]) -> None:
    if set(patch) != {"target", "patch"} or set(patch["target"]) - {"kind", "name"}:
        raise UnsupportedKustomization(f"only inline JSON 6902 patches with a kind/name target: {patch}")
    target = patch["target"]
    matches = [
        resource
        for resource in resources
        if resource["kind"] == target.get("kind", resource["kind"])
        and resource["metadata"]["name"] == target.get("name", resource["metadata"]["name"])
    ]
    if not matches:
        raise UnsupportedKustomization(f"patch target not found: {target}")
    for resource in matches:
        for operation in yaml.safe_load(patch["patch"]):
            json_patch(resource, operation)


def _pointer(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.lstrip("/").split("/")]


def json_patch(document: Any, operation: dict[str, Any]) -> None:
    """Apply one RFC 6902 ``add``, ``replace`` or ``remove`` operation in place."""
    *parents, last = _pointer(operation["path"])
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    op = operation["op"]
    if op not in {"add", "replace", "remove"}:
        raise UnsupportedKustomization(f"unsupported patch operation {op!r}")
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            node[index] = copy.deepcopy(operation["value"])
        else:
            del node[index]
        return
    if op != "add" and last not in node:
        raise KeyError(f"{operation['path']} does not exist")
    if op == "remove":
        del node[last]
    else:
        node[last] = copy.deepcopy(operation["value"])


def _set_image(resources: list[Resource], image: dict[str, str]) -> None:
    for resource in resources:
        if resource["kind"] not in POD_TEMPLATE_KINDS:
            continue
        pod = resource["spec"]["template"]["spec"]
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            name, _, tag = container["image"].partition(":")
            if name != image["name"]:
                continue
            new_tag = image.get("newTag", tag)
            container["image"] = image.get("newName", name) + (f":{new_tag}" if new_tag else "")


if __name__ == "__main__":
    sys.stdout.write(yaml.safe_dump_all(render(Path(sys.argv[1])), sort_keys=False))
