"""Making a new scenario from what a user has: an OpenStreetMap extract or a place name, a population raster or a
total, zone polygons or none (``evacplan new``)."""

from evacplan.create.api import NewScenario, new_scenario
from evacplan.create.area import Area, area_from_bbox, area_from_boundary
from evacplan.create.osm_clip import clip_osm
from evacplan.create.people import clip_population_raster, spread_people

__all__ = ["Area", "NewScenario", "area_from_bbox", "area_from_boundary", "clip_osm", "clip_population_raster",
           "new_scenario", "spread_people"]
