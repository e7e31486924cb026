"""recruitsim app (built in issue 6)."""
