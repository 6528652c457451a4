"""Stacks and constructs of the payments ledger sample app."""
