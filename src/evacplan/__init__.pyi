"""Type stub of :mod:`evacplan`: the names its module ``__getattr__`` loads on first use (keep in step with
``_API`` in ``__init__.py``; ``tests/test_api.py`` checks that both agree)."""


from evacplan.assessment.api import Assessment as Assessment
from evacplan.assessment.api import assess as assess
from evacplan.errors import BoundError as BoundError
from evacplan.errors import EvacplanError as EvacplanError
from evacplan.errors import Finding as Finding
from evacplan.errors import InputError as InputError
from evacplan.errors import InternalError as InternalError
from evacplan.errors import InvalidPlanError as InvalidPlanError
from evacplan.errors import InvalidProblemError as InvalidProblemError
from evacplan.errors import OutputError as OutputError
from evacplan.errors import ResourceLimitError as ResourceLimitError
from evacplan.errors import ScenarioError as ScenarioError
from evacplan.errors import ScenarioImplausible as ScenarioImplausible
from evacplan.errors import ScenarioInvalid as ScenarioInvalid
from evacplan.errors import UnsupportedProblemError as UnsupportedProblemError
from evacplan.network.graph import Network as Network
from evacplan.network.zones import ZoneMap as ZoneMap
from evacplan.pipeline import RunOptions as RunOptions
from evacplan.pipeline import RunResult as RunResult
from evacplan.pipeline import run as run
from evacplan.pipeline import run_scenario as run_scenario
from evacplan.planning.api import plan as plan
from evacplan.planning.io import read_plan as read_plan
from evacplan.planning.io import write_plan as write_plan
from evacplan.planning.result import Plan as Plan
from evacplan.planning.validate import validate_plan as validate_plan
from evacplan.population.demand import Demand as Demand
from evacplan.problem.builder import build_problem as build_problem
from evacplan.problem.builder import load_problem as load_problem
from evacplan.problem.builder import validate_scenario as validate_scenario
from evacplan.problem.problem import Problem as Problem
from evacplan.problem.summary import problem_summary as problem_summary
from evacplan.problem.toy import toy_problem as toy_problem
from evacplan.progress import Progress as Progress
from evacplan.report.html import write_report as write_report
from evacplan.scenario.load import default_scenario_path as default_scenario_path
from evacplan.scenario.load import load_scenario as load_scenario
from evacplan.scenario.schema import Scenario as Scenario
from evacplan.simulation.engine import simulate as simulate
from evacplan.simulation.events import CapacityDrop as CapacityDrop
from evacplan.simulation.events import DangerOnset as DangerOnset
from evacplan.simulation.events import EdgeClosure as EdgeClosure
from evacplan.simulation.io import write_simulation as write_simulation
from evacplan.simulation.result import SimulationResult as SimulationResult

__version__: str
__all__: list[str]
