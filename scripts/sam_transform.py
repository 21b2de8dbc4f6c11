"""Print the CloudFormation that the SAM transform makes of a template (for cfn-lint).

Runs in .venv-tools, where SAM CLI's samtranslator lives. Usage: python scripts/sam_transform.py template.yaml
"""

from __future__ import annotations

import json
import os
import sys

import boto3
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class _OfflinePolicyLoader(ManagedPolicyLoader):
    """The template uses no AWS managed policies by name, so nothing needs to be looked up."""

    def __init__(self) -> None:
        super().__init__(boto3.client("iam", region_name="eu-north-1"))

    def load(self) -> dict[str, str]:
        return {}


def main(path: str) -> int:
    # The transform fills in pseudo parameters from a region; any region gives the same lint.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-north-1")
    with open(path, encoding="utf-8") as handle:
        template = yaml_parse(handle.read())
    # Local code folders become placeholder S3 locations, as `sam package` would make them.
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://placeholder-bucket/{props[key].strip('/')}.zip"
    try:
        output = transform(template, {}, _OfflinePolicyLoader())
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(cause.message, file=sys.stderr)
        return 1
    json.dump(output, sys.stdout, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
