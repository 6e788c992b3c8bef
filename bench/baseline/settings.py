"""The product settings plus one extra route, `POST /bench/baseline` (bench/baseline/urls.py).

Serving the product through this module changes nothing for the product's own routes: the same
middleware, DRF defaults, database and cache settings apply to both targets of a benchmark run.
"""

from support_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline.urls"
