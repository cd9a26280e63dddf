"""Reports: the offline HTML report, the GeoPackage and CSV tables (the main job is :mod:`evacplan.pipeline`).

>>> write_report(["out/"], "out/report.html")                     # doctest: +SKIP
"""

from evacplan.report.geodata import GPKG_LAYERS, edge_metrics, main_routes, map_data, write_geopackage
from evacplan.report.handouts import render_handouts, write_handouts
from evacplan.report.html import RunFolderError, load_runs, render_report, write_report
from evacplan.report.schedule import departure_schedule, write_schedule_csv

__all__ = [
    "GPKG_LAYERS",
    "RunFolderError",
    "departure_schedule",
    "edge_metrics",
    "load_runs",
    "main_routes",
    "map_data",
    "render_handouts",
    "render_report",
    "write_geopackage",
    "write_handouts",
    "write_report",
    "write_schedule_csv",
]
