"""Stacks and constructs of the settlement jobs sample app."""
