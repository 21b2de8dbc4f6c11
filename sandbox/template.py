"""Reads template.yaml and resolves the intrinsic functions the sandbox needs.

The sandbox creates the same tables and queues the template declares, and the local invoke runner
gives a function the environment the template gives it, so both read the template rather than
repeating its names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
LOCAL_STACK_NAME = "severa-netvisor"
LOCAL_REGION = "eu-north-1"
LOCAL_ACCOUNT = "123456789012"  # moto's default account


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that turns CloudFormation short-form tags into their long form."""


def _tag_constructor(tag: str) -> Callable[[yaml.Loader, yaml.Node], dict[str, Any]]:
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _tag in (
    "Ref",
    "Sub",
    "GetAtt",
    "If",
    "Not",
    "Equals",
    "Join",
    "Select",
    "Split",
    "And",
    "Or",
    "FindInMap",
    "Base64",
    "ImportValue",
    "GetAZs",
    "Condition",
):
    _CfnLoader.add_constructor(f"!{_tag}", _tag_constructor(_tag))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return loaded


_NO_VALUE = object()


@dataclass
class Resolver:
    """Resolves Ref / Sub / GetAtt / If against parameters and the sandbox's physical resources."""

    template: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)
    #: logical id -> {"Ref": value, "<Attr>": value}
    physical: dict[str, dict[str, str]] = field(default_factory=dict)
    stack_name: str = LOCAL_STACK_NAME
    region: str = LOCAL_REGION

    def __post_init__(self) -> None:
        for name, spec in self.template.get("Parameters", {}).items():
            self.parameters.setdefault(name, str(spec.get("Default", "")))

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": LOCAL_ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo():
            return self.pseudo()[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]["Ref"]
        raise KeyError(f"Ref to {name!r}: not a parameter or a sandbox resource")

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._intrinsics().get(key)
            if handler is not None:
                return handler(arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _intrinsics(self) -> Mapping[str, Callable[[Any], Any]]:
        return {
            "Ref": self.ref,
            "Fn::Sub": self._sub,
            "Fn::GetAtt": self._get_att,
            "Fn::If": lambda arg: self.resolve(arg[1] if self.condition(arg[0]) else arg[2]),
            "Fn::Not": lambda arg: not self.resolve(arg[0]),
            "Fn::Equals": lambda arg: str(self.resolve(arg[0])) == str(self.resolve(arg[1])),
            "Fn::Join": lambda arg: str(arg[0]).join(str(v) for v in self.resolve(arg[1])),
            "Condition": self.condition,
        }

    def _get_att(self, arg: list[str]) -> str:
        logical, attribute = arg
        try:
            return self.physical[logical][attribute]
        except KeyError:
            raise KeyError(f"GetAtt {logical}.{attribute}: not known to the sandbox") from None

    def _sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return str(extra[name])
            if "." in name:
                return str(self._get_att(name.split(".", 1)))
            value = self.ref(name)
            return value if isinstance(value, str) else json.dumps(value)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical: spec for logical, spec in template.get("Resources", {}).items() if spec.get("Type") == resource_type
    }


def function_for_code_dir(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """The function resource whose CodeUri is functions/<name>/."""
    for logical, spec in resources_of_type(template, "AWS::Serverless::Function").items():
        code_uri = str(spec.get("Properties", {}).get("CodeUri", "")).rstrip("/")
        if code_uri == f"functions/{name}":
            return logical, spec
    known = sorted(
        str(s.get("Properties", {}).get("CodeUri", "")).rstrip("/").removeprefix("functions/")
        for s in resources_of_type(template, "AWS::Serverless::Function").values()
    )
    raise KeyError(f"No function in template.yaml has CodeUri functions/{name}/ (known: {', '.join(known)})")
