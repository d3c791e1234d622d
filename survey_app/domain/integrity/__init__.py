"""Ranking integrity (完整性检查): one household, one voice, and cheating that shows.

- `rows`: what the detectors see of a response (its signals: times, hashed device, network prefix
  and user agent, mode, worker, a summary of its answers and its later changes);
- `detectors`: each check as a flag with a plain reason, and the rule that combines a response's
  flags into a decision (published, or held for review);
- `signals`: the signals taken from a request (device cookie, network prefix, user agent) and
  stored with a response, hashed with the campaign's own key; their purge after the campaign;
- `scan`: the detectors run over a campaign, responses held or published accordingly.

May import `access`, `errors`, `models`, `domain.audit`, `domain.responses`, `domain.stats`;
never `web`.
"""
