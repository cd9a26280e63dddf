"""Network stage: street networks from OSM, GraphML, TNTP or GMNS compiled to CSR arrays."""

from evacplan.network.build import compile_network
from evacplan.network.graph import Network
from evacplan.network.names import describe_edge
from evacplan.network.raw import RawNetwork
from evacplan.network.readers.detect import detect_format, read_network
from evacplan.network.zones import ZoneMap

__all__ = ["Network", "RawNetwork", "ZoneMap", "compile_network", "describe_edge", "detect_format", "read_network"]
