"""Local AWS: moto in server mode on 127.0.0.1, provisioned with the template's resources.

``LocalAws().start()`` runs moto on a free port and creates the DynamoDB table, the SQS queues, the
S3 bucket and the SNS topic declared in template.yaml (names resolved as for the stack
``severa-netvisor``). The secrets and the mapping parameter are the whole sandbox's to put in place
(:class:`sandbox.environment.Sandbox`, with the simulators they point at). ``python -m sandbox.aws``
therefore starts the whole sandbox, as ``severa-netvisor sandbox`` (``make sandbox``) does.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from sandbox.template import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    TEMPLATE_PATH,
    Resolver,
    load_template,
    resources_of_type,
)

# Dummy credentials: moto accepts anything; real ones must never be used against the sandbox.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalAws:
    """A moto server plus the template's resources in it."""

    parameters: dict[str, str] = field(default_factory=dict)
    region: str = LOCAL_REGION
    _server: ThreadedMotoServer | None = None
    endpoint_url: str = ""
    resolver: Resolver | None = None

    def start(self) -> LocalAws:
        port = free_port()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        self.endpoint_url = f"http://127.0.0.1:{port}"
        # The functions reach this local AWS through the template's own endpoint override.
        parameters = {"AwsEndpointUrl": self.endpoint_url, **self.parameters}
        self.resolver = Resolver(load_template(TEMPLATE_PATH), parameters=parameters, region=self.region)
        self._provision()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a process needs to talk to this sandbox ------------------------------------------
    def env(self) -> dict[str, str]:
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    @contextmanager
    def environment(self) -> Iterator[None]:
        """Point this process's boto3 at the sandbox for the duration of the block."""
        saved = {key: os.environ.get(key) for key in self.env()}
        os.environ.update(self.env())
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    # -- secrets and configuration the template only names -------------------------------------
    def put_secret(self, name: str, value: Mapping[str, Any] | str) -> None:
        body = value if isinstance(value, str) else json.dumps(value)
        client = self.client("secretsmanager")
        try:
            client.create_secret(Name=name, SecretString=body)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=name, SecretString=body)

    def put_parameter(self, name: str, value: str) -> None:
        self.client("ssm").put_parameter(Name=name, Value=value, Type="String", Overwrite=True)

    def parameter(self, name: str) -> str:
        assert self.resolver is not None, "start() first"
        return self.resolver.parameters[name]

    def queue_url(self, logical_id: str) -> str:
        assert self.resolver is not None, "start() first"
        return self.resolver.physical[logical_id]["Ref"]

    def table_name(self, logical_id: str = "StateTable") -> str:
        assert self.resolver is not None, "start() first"
        return self.resolver.physical[logical_id]["Ref"]

    # -- the template's resources ---------------------------------------------------------------
    def _provision(self) -> None:
        assert self.resolver is not None
        template = self.resolver.template
        for logical, spec in resources_of_type(template, "AWS::SNS::Topic").items():
            props = self.resolver.resolve(spec.get("Properties", {}))
            arn = self.client("sns").create_topic(Name=props["TopicName"])["TopicArn"]
            self.resolver.physical[logical] = {"Ref": arn, "TopicArn": arn, "TopicName": props["TopicName"]}
        for logical, spec in resources_of_type(template, "AWS::DynamoDB::Table").items():
            self._create_table(logical, spec)
        for logical, spec in resources_of_type(template, "AWS::S3::Bucket").items():
            self._create_bucket(logical, spec)
        # Dead-letter queues first: the other queues' redrive policies point at them.
        queues = resources_of_type(template, "AWS::SQS::Queue")
        for logical in sorted(queues, key=lambda name: "RedrivePolicy" in queues[name].get("Properties", {})):
            self._create_queue(logical, queues[logical])
        for logical in resources_of_type(template, "AWS::Serverless::Function"):
            name = f"{self.resolver.stack_name}-{logical}"
            arn = f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT}:function:{name}"
            self.resolver.physical[logical] = {"Ref": name, "Arn": arn}
        for logical in resources_of_type(template, "AWS::Serverless::LayerVersion"):
            self.resolver.physical[logical] = {"Ref": f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT}:layer:{logical}:1"}
        for logical, spec in resources_of_type(template, "AWS::Logs::LogGroup").items():
            name = self.resolver.resolve(spec.get("Properties", {})).get("LogGroupName", logical)
            self.resolver.physical[logical] = {"Ref": name}

    def _create_table(self, logical: str, spec: dict[str, Any]) -> None:
        assert self.resolver is not None
        props = self.resolver.resolve(spec["Properties"])
        client = self.client("dynamodb")
        client.create_table(
            TableName=props["TableName"],
            BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
            AttributeDefinitions=props["AttributeDefinitions"],
            KeySchema=props["KeySchema"],
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=props["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        arn = client.describe_table(TableName=props["TableName"])["Table"]["TableArn"]
        self.resolver.physical[logical] = {"Ref": props["TableName"], "Arn": arn}

    def _create_bucket(self, logical: str, spec: dict[str, Any]) -> None:
        """A bucket with the template's default encryption (CloudFormation names it; here a fixed name)."""
        assert self.resolver is not None
        props = self.resolver.resolve(spec.get("Properties", {}))
        name = props.get("BucketName") or f"{self.resolver.stack_name}-{logical.lower()}"
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        if "BucketEncryption" in props:
            # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault.
            rules = [
                {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                 **({"BucketKeyEnabled": rule["BucketKeyEnabled"]} if "BucketKeyEnabled" in rule else {})}
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]  # fmt: skip
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        self.resolver.physical[logical] = {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}

    def _create_queue(self, logical: str, spec: dict[str, Any]) -> None:
        assert self.resolver is not None
        props = self.resolver.resolve(spec["Properties"])
        attributes = {
            key: str(props[key])
            for key in ("MessageRetentionPeriod", "VisibilityTimeout", "KmsMasterKeyId")
            if key in props
        }
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.resolver.physical[logical] = {"Ref": url, "Arn": arn, "QueueName": props["QueueName"], "QueueUrl": url}


def main() -> None:
    """The whole sandbox in the foreground: see ``severa-netvisor sandbox``."""
    argparse.ArgumentParser(description="Run the sandbox (local AWS, secrets, mapping, simulators) until Ctrl-C.")\
        .parse_args()
    from severa_netvisor.cli.sandbox_cmd import serve  # noqa: PLC0415 - the one sandbox command

    serve()


if __name__ == "__main__":
    main()
