#!/usr/bin/env bash
# The smoke study on a real Slurm cluster of one machine: installs Debian's slurm-wlm and
# munge, starts munged, slurmctld and slurmd on localhost with a generated slurm.conf, runs
# config/smoke.yaml with workflow/profiles/slurm through snakemake-executor-plugin-slurm,
# checks from Slurm's own job records that every job of the DAG ran as a Slurm job and
# completed, then stops the daemons.
#
#   tests/slurm/run.sh            (as root, or with sudo; from the repository root: make slurm)
#
# Facts of Debian 12's Slurm 22.05 this follows: no cgroup.conf (22.05 does not know
# CgroupPlugin=disabled), ProctrackType=proctrack/linuxproc, TaskPlugin=task/none; without
# slurmdbd, `sacct` knows no job, so the profile asks `squeue` for job states and
# JobCompType=jobcomp/filetxt keeps the record of every finished job that is checked here.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
VENV=${VENV:-.venv}
start=$(date +%s)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >/dev/null
fi
"$VENV/bin/python" -c "import snakemake_executor_plugin_slurm" 2>/dev/null || {
  echo "snakemake-executor-plugin-slurm is missing: run make install" >&2; exit 1; }

WORK=$(mktemp -d /tmp/slurm-study.XXXXXX)
ETC=$WORK/etc
mkdir -p "$ETC" "$WORK/state" "$WORK/spool" "$WORK/log" "$WORK/study"
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
USER_NAME=$(id -un)

cat > "$ETC/slurm.conf" <<EOF
ClusterName=study
SlurmctldHost=$HOST
SlurmUser=$USER_NAME
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobCompType=jobcomp/filetxt
JobCompLoc=$WORK/log/jobcomp.txt
MpiDefault=none
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=cpu Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$HOST MaxTime=INFINITE State=UP
EOF
# Slurm's commands inside a job (the plugin runs each job step with srun) get a cleaned
# environment, so the configuration goes where they look by default; any existing one is
# put back at the end.
SYSTEM_CONF=/etc/slurm/slurm.conf
$sudo mkdir -p /etc/slurm
if [ -f "$SYSTEM_CONF" ]; then $sudo cp -p "$SYSTEM_CONF" "$WORK/slurm.conf.saved"; fi

stop() {
  for pid in "$WORK/slurmd.pid" "$WORK/slurmctld.pid"; do
    [ -f "$pid" ] && $sudo kill "$(cat "$pid")" 2>/dev/null || true
  done
  [ -n "${MUNGE_PID:-}" ] && $sudo kill "$MUNGE_PID" 2>/dev/null || true
  if [ -f "$WORK/slurm.conf.saved" ]; then $sudo cp -p "$WORK/slurm.conf.saved" "$SYSTEM_CONF"
  else $sudo rm -f "$SYSTEM_CONF"; fi
}
trap stop EXIT

# munge with a key, socket and files of our own, so that a system munged is left alone.
MUNGE_SOCKET=$WORK/munge.socket
$sudo mungekey --create --keyfile="$WORK/munge.key"
$sudo /usr/sbin/munged --force --key-file="$WORK/munge.key" --socket="$MUNGE_SOCKET" \
  --pid-file="$WORK/munged.pid" --log-file="$WORK/log/munged.log" \
  --seed-file="$WORK/munge.seed"
MUNGE_PID=$(cat "$WORK/munged.pid")
echo "AuthInfo=socket=$MUNGE_SOCKET" >> "$ETC/slurm.conf"
$sudo cp "$ETC/slurm.conf" "$SYSTEM_CONF"
export SLURM_CONF=$SYSTEM_CONF

$sudo env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmctld
$sudo env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmd
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed" && break
  sleep 1
done
sinfo
srun -N1 hostname

# The smoke study, every job a Slurm job, through the profile with its site settings made
# for this cluster: no GPU partition and no GPU to ask for, one CPU per job (two cores).
cp config/smoke.yaml "$WORK/study/config.yaml"
sed -i "s|cache_dir: resources/mnist|cache_dir: $REPO/resources/mnist|" "$WORK/study/config.yaml"
mkdir -p "$WORK/profile"
sed -e "s|&gpu_partition gpu|\&gpu_partition cpu|" \
    -e "s|&gpu_request \"'--gres=gpu:1'\"|\&gpu_request \"'--nice=0'\"|" \
    -e "s|cpus_per_task: 2|cpus_per_task: 1|" \
    workflow/profiles/slurm/config.yaml > "$WORK/profile/config.yaml"
grep -q "&gpu_partition cpu" "$WORK/profile/config.yaml"
grep -q "&gpu_request \"'--nice=0'\"" "$WORK/profile/config.yaml"
PATH="$REPO/$VENV/bin:$PATH" snakemake -s "$REPO/Snakefile" \
  --workflow-profile "$WORK/profile" \
  --configfile "$WORK/study/config.yaml" --directory "$WORK/study" \
  --slurm-init-seconds-before-status-checks 1 --seconds-between-status-checks 2 \
  --jobs 8 > "$WORK/log/snakemake.log" 2>&1 || {
    tail -50 "$WORK/log/snakemake.log"; tail -20 "$WORK/log/slurmctld.log"; exit 1; }

# Slurm's own record: every job of the DAG (but the `all` target) ran as a Slurm job, and
# completed.
"$REPO/$VENV/bin/python" "$REPO/tests/slurm/check_jobs.py" "$WORK/log/jobcomp.txt" \
  "$WORK/log/snakemake.log"
[ -f "$WORK/study/results/report/report.pdf" ]
echo "Slurm smoke study finished in $(( $(date +%s) - start )) s"
