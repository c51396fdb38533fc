"""Imports every model module so that ``Base.metadata`` describes the whole schema.

Alembic's autogenerate and the schema tests need the full metadata; importing this one module
is how they get it.
"""

from __future__ import annotations

from plantao.alerts import models as alerts_models
from plantao.auth import models as auth_models
from plantao.catalog import models as catalog_models
from plantao.changes import models as changes_models
from plantao.command import models as command_models
from plantao.comms import models as comms_models
from plantao.db import Base
from plantao.incidents import models as incidents_models
from plantao.intake import models as intake_models
from plantao.jobs import models as jobs_models
from plantao.kpis import models as kpis_models
from plantao.notify import models as notify_models
from plantao.oncall import handoff_models as oncall_handoff_models
from plantao.oncall import models as oncall_models
from plantao.oncall import routine_models as oncall_routine_models
from plantao.people import models as people_models
from plantao.postmortems import models as postmortems_models
from plantao.runbooks import feedback_models as runbooks_feedback_models
from plantao.runbooks import models as runbooks_models
from plantao.statuspage import models as statuspage_models

metadata = Base.metadata
MODULES = (
    alerts_models,
    auth_models,
    catalog_models,
    changes_models,
    command_models,
    comms_models,
    incidents_models,
    intake_models,
    jobs_models,
    kpis_models,
    notify_models,
    oncall_models,
    oncall_handoff_models,
    oncall_routine_models,
    people_models,
    postmortems_models,
    runbooks_models,
    runbooks_feedback_models,
    statuspage_models,
)
