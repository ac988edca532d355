"""Migration scripts, one per schema change; see scripts/new-migration."""
