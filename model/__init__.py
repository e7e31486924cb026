"""recruitsim's simulator: youth recruitment into criminal groups in Latin America and the Caribbean."""

from .model import RecruitmentModel
from .params import PARAMETERS, ParameterError, Params
from .policies import KINDS, Policy
from .profiles import all_codes, get_profile

__all__ = ["RecruitmentModel", "Params", "PARAMETERS", "ParameterError", "Policy", "KINDS", "get_profile", "all_codes"]
