"""The submission service ("portal"): students submit over HTTP or ``autograder submit``; a dispatcher
process grades each accepted submission exactly once; TAs read grades.

Processes and state (DESIGN.md, "The portal"):

- the **web process** (``app.create_app(settings)``, FastAPI on uvicorn) accepts uploads, answers
  status queries and serves the pages; it never runs student code and never grades;
- the **dispatcher** (``dispatcher.Dispatcher``, ``autograder dispatch``) claims queued jobs under a
  lease, grades them through the executor seam (``autograder.grading.executor``) and is the only
  writer of results;
- the **database** (``db/``: SQLAlchemy models, Alembic migrations in ``migrations/``) is the one place
  state lives; uploads are content-addressed files under the data folder (``storage``), durable
  before their row commits. The data folder is never served.

Modules: ``settings`` (one frozen Settings value), ``db.models`` (tables), ``db.engine`` (engine,
sessions, migrations), ``storage`` (blobs by sha256), ``auth`` (API tokens: random, stored hashed,
revocable), ``policy`` (the ``[portal]`` table of assignment.toml: which submission counts, hard
close, attempt limits, visibility; extensions), ``uploads`` (streaming multipart with caps),
``ratelimit``, ``api/`` (the JSON API under /api/v1), ``dispatcher``, ``client`` (``autograder submit``
and ``login``), ``cli`` (``serve``, ``dispatch``, ``users``, ``extend``, ``submit``, ``login``).

Where the HTML pages plug in (the portal-pages issue): the package ``autograder/portal/pages/``
exports ``router`` (a FastAPI APIRouter, included by ``create_app`` at the site root, after the API) and
keeps its Jinja2 templates in ``pages/templates/`` and its static files (no CDN) in ``pages/static/``.
Pages may add tables (web sessions, password hashes) as models in ``db/models.py`` and a new Alembic
revision in ``migrations/versions/``; request helpers they need from the API side are in ``api/deps.py``
(``db_session``, ``current_user``, ``require_staff``) and the state of a running app in
``app.state.portal`` (a ``PortalState``: settings, engine, storage, rate limiter).
"""
