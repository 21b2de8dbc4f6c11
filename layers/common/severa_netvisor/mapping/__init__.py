"""Severa → Netvisor mapping: the operator's configuration (``config``) and its loader (``loader``)."""

from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.loader import get_mapping, load_mapping, parse_mapping

__all__ = ["MappingConfig", "get_mapping", "load_mapping", "parse_mapping"]
