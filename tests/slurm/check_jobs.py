"""Check from Slurm's own records that every job of the study ran as a Slurm job and
completed: the Slurm job ids Snakemake logged against jobcomp/filetxt's record of finished
jobs, and their number against the jobs of the DAG.

    python tests/slurm/check_jobs.py JOBCOMP_TXT SNAKEMAKE_LOG
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def finished_jobs(jobcomp: str) -> dict[str, str]:
    """{Slurm job id: final state} from a jobcomp/filetxt file (one `Key=value ...` line
    per finished job)."""
    jobs = {}
    for line in jobcomp.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if "JobId" in fields:
            jobs[fields["JobId"]] = fields.get("JobState", "?")
    return jobs


def dag_jobs(log: str) -> int:
    """Jobs of the DAG that are not local rules, from Snakemake's first `Job stats` table."""
    table = log[log.index("Job stats:"):]
    counts = {}
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    local = set(re.findall(r"^localrule (\w+):", log, re.MULTILINE))
    return sum(n for rule, n in counts.items() if rule != "total" and rule not in local)


def main(jobcomp_path: str, log_path: str) -> None:
    log = Path(log_path).read_text()
    submitted = re.findall(r"SLURM jobid (\d+)", log)
    finished = finished_jobs(Path(jobcomp_path).read_text())
    expected = dag_jobs(log)
    problems = []
    if len(set(submitted)) != expected:
        problems.append(f"{len(set(submitted))} Slurm jobs submitted for {expected} jobs "
                        "in the DAG")
    for job in sorted(set(submitted), key=int):
        state = finished.get(job, "no record")
        if state != "COMPLETED":
            problems.append(f"Slurm job {job}: {state}")
    if problems:
        sys.exit("Slurm check failed:\n  " + "\n  ".join(problems))
    print(f"all {expected} jobs of the DAG ran as Slurm jobs and COMPLETED "
          f"({len(finished)} records in {jobcomp_path})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
