# The chosen run as ONNX, for `python -m study predict` and the deck's live demo; published
# only once onnxruntime agrees with PyTorch on every test image.
rule export_onnx:
    input:
        best=rules.select_best.output.best,
        summaries=all_runs(rules.train.output.summary),
        models=all_runs(rules.train.output.model),
        test=rules.prepare_data.output.test,
    output:
        model="results/model/best.onnx",
        check="results/model/onnx_check.json",
    log:
        "results/logs/export_onnx.log",
    benchmark:
        "results/benchmarks/export_onnx.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
    shell:
        "python -m study export-onnx --best {input.best} --summaries {input.summaries}"
        " --models {input.models} --test {input.test}"
        " --out {output.model} --check {output.check} > {log} 2>&1"
