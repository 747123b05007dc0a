"""Former single-module home of the reports, kept as an alias while importers move to
:mod:`cctv_guard.reports` (``fleet.audit`` still imports ``write_check_html`` from here).
New code imports from the package: ``from cctv_guard import reports``."""

from cctv_guard.reports import *
from cctv_guard.reports import __all__  # noqa: F401
