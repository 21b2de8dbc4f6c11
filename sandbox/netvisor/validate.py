"""Request validation: well-formed XML, element order, required elements and attributes, lengths.

The simulator checks each body against its own statement of the resource (``rules.py``, written
from Netvisor's pages and DTDs; a test compares it with the DTDs). Tags are compared
case-insensitively, as Netvisor does.
"""

from __future__ import annotations

from lxml import etree

from sandbox.netvisor.rules import RESOURCES, Child, Resource


class InvalidData(Exception):
    def __init__(self, text: str, code: str = "INVALID_DATA"):
        super().__init__(text)
        self.text = text
        self.code = code


def data_form_incorrect(detail: str) -> InvalidData:
    return InvalidData(f"Data form incorrect:. {detail}")


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def parse_body(body: bytes) -> etree._Element:
    if not body.strip():
        raise data_form_incorrect("The request has no XML content")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise data_form_incorrect(f"XML is not well-formed: {error.msg}") from None
    for element in list(root.iter()):
        if isinstance(element.tag, str):
            element.tag = element.tag.lower()
        else:  # comments and processing instructions carry no data
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
    return root


def validate(resource: str, root: etree._Element) -> None:
    statement = RESOURCES[resource]
    if root.tag != "root":
        raise data_form_incorrect(f"The message must start with <root>, not <{root.tag}>")
    _check(statement, Child("root", ""), root, "")


def _check_attributes(statement: Resource, element: etree._Element, here: str) -> None:
    for name, rule in statement.attributes.get(str(element.tag), {}).items():
        value = element.get(name)
        if rule.required and not value:
            raise data_form_incorrect(f"Element '{here}' needs the attribute '{name}'")
        if value and rule.values is not None and value not in rule.values:
            if name == "vatcode":
                raise data_form_incorrect(f"Unknown VAT code '{value}' in '{here}'")
            raise data_form_incorrect(f"Attribute '{name}' of '{here}' has an unknown value '{value}'")


def _check_leaf(statement: Resource, child: Child, element: etree._Element, here: str) -> None:
    if any(isinstance(c.tag, str) for c in element):
        raise data_form_incorrect(f"Element '{here}' must not contain elements")
    value = (element.text or "").strip()
    # "Compulsory elements should not be given empty" (resources general, 77000466681).
    if child.required and not value:
        raise data_form_incorrect(f"Compulsory element '{here}' is empty")
    allowed = statement.values.get(child.name)
    if allowed and value and value.lower() not in allowed:
        raise data_form_incorrect(f"Element '{here}' has an unknown value '{value}'")
    limit = statement.max_lengths.get(child.name)
    if limit is not None and len(value) > limit:
        raise data_form_incorrect(f"Element '{here}' is too long: {len(value)} characters, at most {limit} allowed")


def _check(statement: Resource, child: Child, element: etree._Element, path: str) -> None:
    here = f"{path}/{child.name}" if path else child.name
    _check_attributes(statement, element, here)
    model = statement.models.get(child.name)
    if model is None:
        _check_leaf(statement, child, element, here)
        return
    kids = [c for c in element if isinstance(c.tag, str)]
    names = model.names()
    position = 0
    seen: list[str] = []
    for kid in kids:
        tag = str(kid.tag)
        if tag not in names:
            raise data_form_incorrect(f"Element '{tag}' is not allowed in '{here}'")
        index = names.index(tag)
        if index < position and not model.choice:
            raise data_form_incorrect(
                f"Element '{tag}' is in the wrong place in '{here}': it must come before '{names[position]}'"
            )
        spec = model.children[index]
        if index == position and seen and seen[-1] == tag and not spec.repeated:
            raise data_form_incorrect(f"Element '{here}/{tag}' may appear only once")
        position = index
        seen.append(tag)
        _check(statement, spec, kid, here)
    if model.choice:
        if len(kids) != 1:
            raise data_form_incorrect(f"Element '{here}' must contain exactly one of {names}")
        return
    for spec in model.children:
        if spec.required and spec.name not in seen:
            raise data_form_incorrect(f"Compulsory element '{here}/{spec.name}' is missing")
