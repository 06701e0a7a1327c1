"""One router per resource: ``/sparql``, ``/update``, ``/store``, ``/entities``, ``/id`` and ``/export``,
``/queries``, ``/lineage``, ``/health``."""
