"""The administrator's console on top of the security event log: the Security Center (charts
and tables over hourly roll-ups), the login policy what-if, the streamed CSV export and the
audit of settings changes."""
