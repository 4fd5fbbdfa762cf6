"""nbgrader settings for a wslab class: the course id and where assignments travel.

The students' side (``nbgrader fetch_assignment``, ``submit`` and the Assignments tab in
JupyterLab) reads ``/etc/jupyter/nbgrader_config.py``: copy this file there on the hub's
machine (or into the single-user image). Copied there, it leaves the course folder alone
(nbgrader then uses the student's own folder).

The teacher's side runs from ``course/`` (``cd course && nbgrader generate_assignment
frames``), whose own ``nbgrader_config.py`` names the same COURSE_ID and EXCHANGE. Run from
here (``cd classroom``), this file points nbgrader at that same folder, in nbgrader's layout:

    course/source/<assignment>/*.ipynb      what the teacher writes (with solutions)
    course/release/<assignment>/            generated: what students fetch
    course/submitted/<student>/<assignment>/   collected
    course/autograded/, course/feedback/, course/gradebook.db

The exchange is a folder every student can write to, on the hub's machine (on Kubernetes: a
shared ReadWriteMany volume mounted at the same path in every pod):

    mkdir -p /srv/nbgrader/exchange && chmod 777 /srv/nbgrader/exchange
"""

# ruff: noqa: F821  (`get_config` is provided by nbgrader when it loads this file)

import os
from pathlib import Path

c = get_config()

COURSE_ID = "wslab"
EXCHANGE = os.environ.get("WSLAB_NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
HERE = Path(__file__).resolve().parent

c.CourseDirectory.course_id = COURSE_ID
if "WSLAB_COURSE_ROOT" in os.environ:
    c.CourseDirectory.root = os.environ["WSLAB_COURSE_ROOT"]
elif HERE.name == "classroom":  # this file in the repository: the course beside it
    c.CourseDirectory.root = str(HERE.parent / "course")
c.Exchange.root = EXCHANGE
c.Exchange.path_includes_course = True  # /srv/nbgrader/exchange/wslab/{inbound,outbound}
# The notebooks start servers on 127.0.0.1 and wait for timeouts: give a cell time.
c.ExecutePreprocessor.timeout = 120
