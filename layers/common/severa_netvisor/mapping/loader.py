"""Reads and validates the mapping configuration once per cold start.

From ``settings.mapping_file`` when set (sandbox, tests), otherwise from the SSM parameter
``settings.mapping_parameter_name`` (Powertools parameters, cached). YAML or JSON. Every problem
becomes one :class:`ConfigurationError` listing each bad key path and what is wrong with it, so an
operator can fix the whole file in one go.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities import parameters
from pydantic import ValidationError

from severa_netvisor.errors import ConfigurationError
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.settings import Settings, get_settings

if TYPE_CHECKING:
    import yaml

__all__ = ["describe_mapping_errors", "get_mapping", "load_mapping", "parse_mapping"]

EXAMPLE_HINT = "see config/mapping.example.yaml"
_MAX_LISTED = 20


def load_mapping(settings: Settings | None = None) -> MappingConfig:
    """The validated mapping configuration named by the settings; raises ``ConfigurationError``."""
    settings = settings or get_settings()
    if settings.mapping_file:
        path = Path(settings.mapping_file)
        source = f"mapping file '{path}'"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"The {source} could not be read: {error.strerror}.") from None
        return parse_mapping(text, source=source, json_format=path.suffix.lower() == ".json")
    name = settings.mapping_parameter_name
    source = f"SSM parameter '{name}'"
    try:
        value = parameters.get_parameter(name, max_age=settings.secret_max_age_seconds)
    except parameters.exceptions.GetParameterError as error:
        raise ConfigurationError(
            f"The mapping configuration could not be read from {source}: {str(error).rstrip('.')}. "
            "Create the parameter "
            f"from config/mapping.example.yaml, or check the region and the function's ssm:GetParameter permission.",
            retryable="Throttl" in str(error),
        ) from None
    if not isinstance(value, str):
        raise ConfigurationError(f"The {source} must hold YAML or JSON text.")
    return parse_mapping(value, source=source)


@lru_cache(maxsize=1)
def get_mapping() -> MappingConfig:
    """The process-wide configuration: read and validated once, at cold start."""
    return load_mapping(get_settings())


def parse_mapping(
    text: str, *, source: str = "mapping configuration", json_format: bool | None = None
) -> MappingConfig:
    """Parse YAML or JSON text (JSON when it starts with ``{`` unless told) and validate it."""
    if json_format is None:
        json_format = text.lstrip().startswith("{")
    data = _parse_json(text, source) if json_format else _parse_yaml(text, source)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigurationError(f"The {source} is {kind}; it must be a mapping of settings ({EXAMPLE_HINT}).")
    try:
        return MappingConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigurationError(
            f"The {source} is invalid: {describe_mapping_errors(error)}. Fix these keys ({EXAMPLE_HINT})."
        ) from None


def describe_mapping_errors(error: ValidationError) -> str:
    """``path: problem`` for each error, joined with ``; `` (values are not echoed)."""
    items = error.errors(include_url=False, include_input=False)
    parts = []
    for item in items[:_MAX_LISTED]:
        path = _key_path(item["loc"])
        if item["type"] == "missing":
            problem = "is required but missing"
        elif item["type"] == "extra_forbidden":
            problem = "is not a known setting (check the spelling)"
        else:
            problem = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{path}: {problem}" if path else problem)
    if len(items) > _MAX_LISTED:
        parts.append(f"and {len(items) - _MAX_LISTED} more")
    return "; ".join(parts)


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    is_key = False
    for part in loc:
        if part == "[key]":
            is_key = True
        elif isinstance(part, int):
            path += f"[{part}]"
        else:
            text = part if part.replace("_", "").isalnum() else repr(part)
            path = f"{path}.{text}" if path else text
    return f"{path} (the key)" if is_key else path


# -- parsing -----------------------------------------------------------------------------------------


def _parse_json(text: str, source: str) -> Any:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ConfigurationError(f"The {source} has the key '{key}' twice in one object; keep one.")
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as error:
        raise ConfigurationError(
            f"The {source} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None


def _parse_yaml(text: str, source: str) -> Any:
    try:
        import yaml  # noqa: PLC0415  (only YAML configurations need PyYAML)
    except ImportError:  # pragma: no cover - the layer ships PyYAML
        raise ConfigurationError(f"The {source} is YAML but PyYAML is not installed; store it as JSON.") from None
    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_duplicate_keys(node, source)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigurationError(f"The {source} is not valid YAML: {error.problem}{where}.") from None
    except yaml.YAMLError as error:
        raise ConfigurationError(f"The {source} is not valid YAML: {error}.") from None
    finally:
        loader.dispose()


@lru_cache(maxsize=1)
def _loader_class() -> type[yaml.SafeLoader]:
    """SafeLoader without implicit timestamps: dates stay text for pydantic, so a bad date is
    reported under its key path instead of as a bare YAML construction error."""
    import yaml  # noqa: PLC0415

    timestamp = "tag:yaml.org,2002:timestamp"
    resolvers = {
        first: [(tag, pattern) for tag, pattern in entries if tag != timestamp]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return type("MappingLoader", (yaml.SafeLoader,), {"yaml_implicit_resolvers": resolvers})


def _refuse_duplicate_keys(node: yaml.Node, source: str, path: str = "") -> None:
    """PyYAML keeps the last of two equal keys silently; a repeated key is a mistake to report."""
    import yaml  # noqa: PLC0415

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in seen:
                raise ConfigurationError(
                    f"The {source} has the key '{child}' twice (line {key_node.start_mark.line + 1}); keep one."
                )
            seen.add(key)
            _refuse_duplicate_keys(value_node, source, child)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(item, source, f"{path}[{index}]")
