"""Population stage: people from rasters, polygons or points, allocated to origin nodes by group and mode."""

from evacplan.population.allocate import largest_remainder, people_per_node, split_demand
from evacplan.population.demand import Demand
from evacplan.population.sources import PopulationPoints, read_population

__all__ = ["Demand", "PopulationPoints", "largest_remainder", "people_per_node", "read_population", "split_demand"]
