"""Ranking integrity (完整性检查): one household, one voice, and cheating that shows.

- `rows`: what the detectors see of a response (its signals: times, hashed device, network prefix
  and user agent, mode, worker, a summary of its answers and its later changes);
- `detectors`: each check over a campaign's rows, with its thresholds (INTEGRITY_* settings);
- `combine`: a flag and its plain reason, and the rule that combines a response's flags into a
  decision (published, or held for review);
- `signals`: the signals taken from a request (device cookie, network prefix, user agent) and
  stored with a response, hashed with the campaign's own key; their purge after the campaign;
- `scan`: the detectors run over a campaign, responses held or published accordingly;
- `review`: the officers' queue of held responses, grouped by cluster, and their decisions;
- `simulate`: injected cheating and a genuine control, to prove the checks;
- `first_answers`: households' first answers written in bulk as `save_response` stores them (the
  demo's story at city scale).

May import `access`, `errors`, `models`, `domain.audit`, `domain.bulk`, `domain.responses`, `domain.stats`;
never `web`.
"""
