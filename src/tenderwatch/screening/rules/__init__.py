"""The statutory rules (法定规则) of issue 5: small, pure functions of a project's ledger state.

- `state`: `ProjectState`, the immutable snapshot a rule reads; `load_states` (bulk, a fixed
  number of queries) and `run_rules`.
- `registry`: `RULES` / `all_rules()`, one `RuleSpec` per rule (id of RULES.md, Chinese title,
  legal basis, applicability, parameters with defaults, severity, timing, matter).
- `tender`, `bidding`, `award`, `must`, `documents`: the checks, by stage.
- `days`: the calendar snapshot the deadline rules use (民法典 第二百零一条、第二百零三条).
- `columnar`: the same rules over a Polars frame of a whole province (the benchmark's fast
  path); the per-lot functions stay the reference, and a test keeps both in agreement.
"""
