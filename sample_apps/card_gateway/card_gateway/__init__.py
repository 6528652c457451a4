"""Stacks and constructs of the card gateway sample app."""
