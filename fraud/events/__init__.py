"""The security event log: ``record_event`` writes a row; receivers write one per sign-up,
sign-in attempt, step-up, deny, logout and credential change."""
