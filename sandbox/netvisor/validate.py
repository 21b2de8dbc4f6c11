"""Request validation: well-formed XML, element order, required elements and attributes.

The simulator checks each body against the same per-resource trees the client builds from
(``severa_netvisor.netvisor.schema``, derived from the DTDs); the DTD test keeps those trees honest.
Tags are compared case-insensitively, as Netvisor does.
"""

from __future__ import annotations

from lxml import etree
from severa_netvisor.netvisor.schema import REQUEST_SCHEMAS, El


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
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = element.tag.lower()
        else:  # comments and processing instructions carry no data
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
    return root


def validate(resource: str, root: etree._Element) -> None:
    spec = REQUEST_SCHEMAS[resource]
    if root.tag != "root":
        raise data_form_incorrect(f"The message must start with <root>, not <{root.tag}>")
    _check(spec, root, "")


def _check(spec: El, element: etree._Element, path: str) -> None:  # noqa: PLR0912 - one rule per branch
    here = f"{path}/{spec.name}" if path else spec.name
    for attribute in spec.required_attributes:
        if not element.get(attribute):
            raise data_form_incorrect(f"Element '{here}' needs the attribute '{attribute}'")
    kids = [c for c in element if isinstance(c.tag, str)]
    if spec.is_leaf:
        if kids:
            raise data_form_incorrect(f"Element '{here}' must not contain elements")
        value = (element.text or "").strip()
        if spec.required and not value:
            raise data_form_incorrect(f"Compulsory element '{here}' is empty")
        if spec.values and value and value.lower() not in spec.values:
            raise data_form_incorrect(f"Element '{here}' has an unknown value '{value}'")
        return
    names = [c.name for c in spec.children]
    position = 0
    seen: list[str] = []
    for kid in kids:
        if kid.tag not in names:
            raise data_form_incorrect(f"Element '{kid.tag}' is not allowed in '{here}'")
        index = names.index(kid.tag)
        if index < position:
            raise data_form_incorrect(
                f"Element '{kid.tag}' is in the wrong place in '{here}': it must come before '{names[position]}'"
            )
        child_spec = spec.children[index]
        if index == position and seen and seen[-1] == kid.tag and not child_spec.repeated:
            raise data_form_incorrect(f"Element '{here}/{kid.tag}' may appear only once")
        position = index
        seen.append(kid.tag)
        _check(child_spec, kid, here)
    if spec.choice:
        if len(kids) != 1:
            raise data_form_incorrect(f"Element '{here}' must contain exactly one of {names}")
        return
    for child_spec in spec.children:
        if child_spec.required and child_spec.name not in seen:
            raise data_form_incorrect(f"Compulsory element '{here}/{child_spec.name}' is missing")
