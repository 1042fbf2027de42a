"""Safety guards around the answer pipeline, driven by reviewed data files in bot/data.

validate (validate.py) -> crisis (crisis.py) -> medical advice (advice.py) -> scope (scope.py)
-> injection (injection.py), combined by `input.screen`; after composition, `output.output_guard`.
All guard data is loaded and compiled once by `rules.load_rules`. See docs/guards.md.
"""
