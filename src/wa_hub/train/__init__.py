"""Training: recipes (recipe.py), SFT data (data.py), the Trainer run (run.py), launching (launch.py),
save verification (verify.py) and LoRA merging (merge.py). Heavy libraries are imported inside functions.

Programmatic use: `wa_hub.train.run.train("tiny-cpu", "runs/x", ["data.path=..."]) -> Path` and
`wa_hub.train.merge.merge_run(run_dir, out) -> Path`.
"""
