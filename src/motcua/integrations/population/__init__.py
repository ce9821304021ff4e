"""The national population database (issue 14, part 3; docs/population.md): :mod:`.client` (its API, OAuth2
client credentials), :mod:`.simulator` and :mod:`.people` (``motcua population_sim``), :mod:`.services` (sign-up
verification, the reception's check and prefill, linking a person's dossiers to her one account, the look-up
log)."""
