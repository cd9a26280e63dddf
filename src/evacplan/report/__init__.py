"""Reports: the main job (:func:`run_scenario`), the offline HTML report, the GeoPackage and CSV tables.

>>> from evacplan.report import run_scenario, write_report        # doctest: +SKIP
>>> result = run_scenario(None, "out/")                           # doctest: +SKIP
>>> write_report(["out/"], "out/report.html")                     # doctest: +SKIP
"""

from evacplan.report.geodata import GPKG_LAYERS, edge_metrics, main_routes, map_data, write_geopackage
from evacplan.report.html import RunFolderError, load_runs, render_report, write_report
from evacplan.report.pipeline import RunOptions, RunResult, run_scenario, shift_departures

__all__ = [
    "GPKG_LAYERS",
    "RunFolderError",
    "RunOptions",
    "RunResult",
    "edge_metrics",
    "load_runs",
    "main_routes",
    "map_data",
    "render_report",
    "run_scenario",
    "shift_departures",
    "write_geopackage",
    "write_report",
]
