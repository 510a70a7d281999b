# The MNIST CNN study: data -> a hyper-parameter search per architecture (validation only)
# -> one training job per (architecture, regularisation, seed)
# -> choice of the best run on validation -> test evaluation -> tables and figures
# -> the chosen model exported to ONNX -> PDF report and reveal.js slides with a live demo.
#
#   snakemake --cores all                        the default study (config/config.yaml)
#   snakemake --cores all --configfile config/smoke.yaml
#   snakemake --workflow-profile workflow/profiles/slurm   on a Slurm cluster


# The default study's config is read only when no --configfile is given: a config file
# given on the command line is the whole study, with the schema's defaults for what it leaves
# out, so no setting of the default study reaches another (--config KEY=VALUE still applies
# on top of either).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# A translated edition's files live under results/<code>/ (render.languages).
wildcard_constraints:
    lang="|".join(TRANSLATED) or "(?!)",  # (?!) matches nothing: no translated edition


include: "workflow/rules/data.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/findings.smk"
include: "workflow/rules/render.smk"


rule all:
    default_target: True
    input:
        # Each edition's report and deck (render.languages).
        [EDITIONS[code].report for code in LANGUAGES],
        [EDITIONS[code].slides for code in LANGUAGES],
