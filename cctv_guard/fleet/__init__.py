"""Nightly audits over a city's fleet of cameras: every camera's recordings of a window of days,
checked in parallel on one machine (a process pool) or a Ray cluster, resumable after a crash,
summarised for the morning.

Modules, in the order an audit uses them:

- `config`: fleet.yaml, validated (`load_fleet`);
- `plan`: cameras x days -> work items, finding each camera's recordings (`plan_audit`);
- `work`: what runs in a worker for one item (`check_item`, `run_item`);
- `engines`: the local process pool and Ray (`run_local`, `run_ray`);
- `run`: the run folder, executing and resuming, the outcome, the registry's history
  (`create_run`, `open_run`, `execute`, `start_audit`, `resume_audit`);
- `summary`: the fleet summary and its files, and notification (`summarise`, `notify`).
"""

from cctv_guard.fleet.config import FleetConfig, WindowConfig, load_fleet
from cctv_guard.fleet.engines import OnDone, default_workers, hard_limit_s, locality_resources, run_local, run_ray
from cctv_guard.fleet.plan import CameraMeta, Plan, WorkItem, check_relpath, find_recordings, item_id_for, plan_audit
from cctv_guard.fleet.run import (
    RUN_SCHEMA,
    AuditOutcome,
    AuditProgress,
    AuditRun,
    create_run,
    execute,
    open_run,
    resume_audit,
    start_audit,
    store_record,
    update_registry,
)
from cctv_guard.fleet.summary import (
    SUMMARY_CSV_COLUMNS,
    SUMMARY_SCHEMA,
    VERDICT_ORDER,
    notify,
    summarise,
    summary_csv,
    write_summary_files,
)
from cctv_guard.fleet.work import (
    ITEM_SCHEMA,
    WORKER_DIED,
    ItemTimeout,
    Work,
    check_item,
    failed_record,
    render_report,
    run_item,
)

__all__ = [
    # config
    "FleetConfig", "WindowConfig", "load_fleet",
    # plan
    "CameraMeta", "Plan", "WorkItem", "check_relpath", "find_recordings", "item_id_for", "plan_audit",
    # work
    "ITEM_SCHEMA", "WORKER_DIED", "ItemTimeout", "Work", "check_item", "failed_record", "render_report", "run_item",
    # engines
    "OnDone", "default_workers", "hard_limit_s", "locality_resources", "run_local", "run_ray",
    # run
    "RUN_SCHEMA", "AuditOutcome", "AuditProgress", "AuditRun", "create_run", "execute", "open_run", "resume_audit",
    "start_audit", "store_record", "update_registry",
    # summary
    "SUMMARY_CSV_COLUMNS", "SUMMARY_SCHEMA", "VERDICT_ORDER", "notify", "summarise", "summary_csv",
    "write_summary_files",
]
